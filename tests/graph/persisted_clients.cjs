// Runs the real Apollo Client persisted-queries link and urql's persistedExchange against
// the gateway (argv[2]: its /graphql URL), twice each, and prints one JSON line per client:
// the data of both runs and each HTTP request (method, whether it carried the query, status).
// NODE_PATH must name a node_modules with @apollo/client, @urql/core,
// @urql/exchange-persisted and graphql (tests/graph/test_persisted_queries.py).
const crypto = require("node:crypto");
const { ApolloClient, InMemoryCache, HttpLink, gql } = require("@apollo/client/core");
const { createPersistedQueryLink } = require("@apollo/client/link/persisted-queries");
const { Client, fetchExchange } = require("@urql/core");
const { persistedExchange } = require("@urql/exchange-persisted");

const url = process.argv[2];
const sha256 = (text) => crypto.createHash("sha256").update(text).digest("hex");

function recordingFetch(log) {
  return async (input, init = {}) => {
    const target = new URL(typeof input === "string" ? input : input.url);
    const method = (init.method || "GET").toUpperCase();
    const body = typeof init.body === "string" ? JSON.parse(init.body) : {};
    const carriesQuery = method === "GET" ? target.searchParams.has("query") : "query" in body;
    const response = await fetch(input, init);
    log.push({ method, carriesQuery, status: response.status });
    return response;
  };
}

async function apollo(query) {
  const requests = [];
  const http = new HttpLink({ uri: url, fetch: recordingFetch(requests) });
  const link = createPersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(http);
  const data = [];
  for (let run = 0; run < 2; run++) {
    const client = new ApolloClient({ link, cache: new InMemoryCache() });
    const result = await client.query({ query: gql(query), fetchPolicy: "network-only" });
    data.push(result.data);
  }
  return { client: "apollo", data, requests };
}

async function urql(query) {
  const requests = [];
  const data = [];
  for (let run = 0; run < 2; run++) {
    const client = new Client({
      url,
      fetch: recordingFetch(requests),
      exchanges: [persistedExchange({ preferGetForPersistedQueries: true }), fetchExchange],
    });
    const result = await client.query(query, {}, { requestPolicy: "network-only" }).toPromise();
    if (result.error) throw result.error;
    data.push(result.data);
  }
  return { client: "urql", data, requests };
}

(async () => {
  console.log(JSON.stringify(await apollo("query ApolloKind { __typename }")));
  console.log(JSON.stringify(await urql("query UrqlKind { __typename }")));
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
