// Vite empties dist/ before each build; the Go server embeds web/dist with
// go:embed, which needs the directory (and its tracked .gitkeep) to exist
// even in a checkout where the web app was never built.
import { writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
mkdirSync(dist, { recursive: true });
writeFileSync(dist + '.gitkeep', '');
