// Preloaded into the benchmarked server (`node --import ./test/bench/signup-probe.mjs dist/server/start.js`)
// by bench:signup: starts and stops a V8 CPU profile of the main thread when the benchmark asks over
// the IPC channel, and writes it to the file named in the request. Plain JavaScript, so the server
// runs exactly as `npm start` runs it (no tsx). Changes nothing in the server.
import inspector from 'node:inspector';
import { writeFileSync } from 'node:fs';

const session = new inspector.Session();
session.connect();
const post = (method) => new Promise((resolve, reject) => session.post(method, (e, r) => (e ? reject(e) : resolve(r))));

process.on('message', (msg) => {
  void (async () => {
    if (msg?.cmd === 'profile-start') {
      await post('Profiler.enable');
      await post('Profiler.start');
      process.send({ profiling: true });
    } else if (msg?.cmd === 'profile-stop') {
      const { profile } = await post('Profiler.stop');
      writeFileSync(msg.file, JSON.stringify(profile));
      process.send({ profile: msg.file });
    }
  })();
});
