// `npm run dev`: the API on PORT+1, Vite with hot reload on PORT, /trpc (HTTP and WebSocket) proxied.
import { createServer } from 'vite';

const port = Number(process.env.PORT ?? 3000);
const apiPort = port + 1;
const viteOrigins = [`http://localhost:${port}`, `http://127.0.0.1:${port}`];
process.env.ADMIT_API_URL = `http://127.0.0.1:${apiPort}`;
process.env.PORT = String(apiPort);
process.env.ALLOWED_ORIGINS ??= viteOrigins.join(',');
process.env.PUBLIC_URL ??= viteOrigins[0];
process.env.LOG_FORMAT ??= 'pretty';

const { main } = await import('./main.js');
await main();
const vite = await createServer({ configFile: 'vite.config.ts', server: { port, strictPort: true, host: '127.0.0.1' } });
await vite.listen();
vite.printUrls();
