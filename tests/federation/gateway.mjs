// An Apollo Federation 2 gateway over the hub and partner subgraphs, for the federation tests.
//
//   node gateway.mjs CONFIG.json
//
// CONFIG: {
//   "port": 4000,
//   "subgraphs": [{"name": "hub", "url": "http://127.0.0.1:8000/graphql",
//                  "sdl": "<the subgraph's _service { sdl }>",
//                  "headers": {"X-Hub-Router-Secret": "..."}}, ...],
//   "supergraphPath": "supergraph.graphql",   (optional: where to write the composed schema)
//   "composeOnly": false,                     (optional: compose, write, exit)
//   "exitOnStdinEOF": true                    (optional)
// }
//
// The subgraphs' SDLs are composed explicitly with @apollo/composition's `composeServices`:
// if composition fails the errors are printed on stderr and the process exits with code 2.
// Otherwise `@apollo/gateway` serves the supergraph on 127.0.0.1:<port>, forwarding each
// client's Authorization header (and the subgraph's fixed headers) to the subgraphs, and one
// line `ready <url>` is printed on stdout (`composed` with composeOnly).
import { readFileSync, writeFileSync } from 'node:fs';

import { composeServices } from '@apollo/composition';
import { ApolloGateway, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { parse } from 'graphql';

import { serve } from './serve.mjs';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

let services;
try {
  services = config.subgraphs.map(({ name, url, sdl }) => ({ name, url, typeDefs: parse(sdl) }));
} catch (err) {
  console.error(`composition failed: a subgraph SDL does not parse: ${err.message}`);
  process.exit(2);
}
const composition = composeServices(services);
if (composition.errors) {
  console.error(`composition failed with ${composition.errors.length} error(s):`);
  for (const error of composition.errors) {
    const code = error.extensions?.code ? `[${error.extensions.code}] ` : '';
    console.error(`- ${code}${error.message}`);
  }
  process.exit(2);
}
for (const hint of composition.hints ?? []) {
  console.error(`composition hint: [${hint.definition?.code ?? 'HINT'}] ${hint.message}`);
}
const { supergraphSdl } = composition;
if (config.supergraphPath) writeFileSync(config.supergraphPath, supergraphSdl);
if (config.composeOnly) {
  process.stdout.write('composed\n');
  process.exit(0);
}

const fixedHeaders = Object.fromEntries(
  config.subgraphs.map(({ name, headers }) => [name, headers ?? {}]),
);

class ForwardingDataSource extends RemoteGraphQLDataSource {
  constructor(name, url) {
    super({ url });
    this.name = name;
  }

  willSendRequest({ request, context }) {
    for (const [header, value] of Object.entries(fixedHeaders[this.name] ?? {})) {
      request.http.headers.set(header, value);
    }
    // The caller's identity reaches every subgraph: each one applies its own permissions.
    if (context?.authorization) request.http.headers.set('authorization', context.authorization);
  }
}

const gateway = new ApolloGateway({
  supergraphSdl,
  buildService: ({ name, url }) => new ForwardingDataSource(name, url),
});

const server = new ApolloServer({
  gateway,
  includeStacktraceInErrorResponses: false,
  // Stopped by serve()'s own handlers (serve.mjs), which exit with code 0.
  stopOnTerminationSignals: false,
});

await serve(server, config);
