// What the gateway and the partner subgraph share: listen on 127.0.0.1:<config.port>, print
// `ready <url>` once listening (the Python side waits for that line), and stop cleanly on
// SIGTERM/SIGINT, or at stdin's EOF when `config.exitOnStdinEOF` (the test process is gone).
import { startStandaloneServer } from '@apollo/server/standalone';

export async function serve(server, config) {
  let url;
  try {
    ({ url } = await startStandaloneServer(server, {
      listen: { port: config.port, host: '127.0.0.1' },
      context: async ({ req }) => ({ authorization: req.headers.authorization }),
    }));
  } catch (err) {
    console.error(`cannot listen on 127.0.0.1:${config.port}: ${err.message}`);
    process.exit(1);
  }
  process.stdout.write(`ready ${url}\n`);

  let stopping = false;
  function shutdown() {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 2000).unref();
    server.stop().finally(() => process.exit(0));
  }
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  if (config.exitOnStdinEOF) {
    process.stdin.on('end', shutdown);
    process.stdin.resume();
  }
}
