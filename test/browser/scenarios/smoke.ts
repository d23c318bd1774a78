/** The harness itself: the stand-in's Setting rows and a modal, built with Obsidian's helpers. */
import { App, Modal, Setting } from "obsidian";

export default function scenario(root: HTMLElement): void {
  root.createEl("h2", { text: "Harness check" });
  new Setting(root).setName("Concurrency").setDesc("Jobs at once").addText((t) => t.setValue("3"));
  new Setting(root).setName("Plan ahead").addToggle((t) => t.setValue(true));
  const modal = new Modal(new App());
  modal.setTitle("A modal");
  modal.open();
  (modal.contentEl).createEl("p", { text: "Inside the modal" });
}
