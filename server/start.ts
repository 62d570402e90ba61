// The production entry point: `npm run build` compiles it to dist/server/start.js, which `npm start`
// runs with plain node (scripts/build.mjs --if-stale rebuilds first when sources changed).
import { main } from './main.js';

await main();
