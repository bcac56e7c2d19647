import { defineConfig } from "vite";

// No plugins: esbuild compiles Preact's JSX; the bundle is one small module.
export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: { outDir: "dist", assetsDir: "assets", sourcemap: false, target: "es2022" },
});
