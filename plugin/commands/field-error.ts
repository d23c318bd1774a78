import type { Setting } from "obsidian";

/**
 * A line under a modal's field for what is wrong with it; empty (and hidden) while nothing is. The field's
 * input carries `aria-invalid` to match, so a screen reader hears it too. Shared by the modals' forms.
 */
export function fieldError(setting: Setting): (message: string | null) => void {
  const el = setting.infoEl.createDiv({ cls: "bookwright-field-error", attr: { "aria-live": "polite" } });
  el.hide();
  const input = setting.controlEl.querySelector("input");
  return (message) => {
    el.setText(message ?? "");
    el.toggle(message !== null);
    input?.setAttr("aria-invalid", message !== null);
  };
}
