/** Built by fonts.mjs: EB Garamond's four styles, each gzipped and base64-encoded. */
declare module "bookwright-fonts" {
  const fonts: Record<"regular" | "italic" | "bold" | "boldItalic", string>;
  export default fonts;
}
