// The plugin's version, as in apps/plugin/package.json: `pnpm release:version` writes it here and
// into plugin.json after `changeset version`, so the executable's manifest (GetManifest, `--version`)
// and the archive's plugin.json say the same. version.test.ts checks that the three agree.
export const version = '2.0.0'
