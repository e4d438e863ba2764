// Runs the inline script of the gateway's GraphiQL page in node, with stand-ins for the
// browser (location, history, localStorage) and for React, ReactDOM, GraphiQL and js-cookie,
// and prints what the page did as JSON. Used by tests/gateway/test_graphiql_assets.py.
//
// stdin: the page's inline script. argv[2]: JSON {"search": "?q=...", "stored": {key: value}}.
"use strict";
const fs = require("fs");
const vm = require("vm");

const script = fs.readFileSync(0, "utf8");
const scenario = JSON.parse(process.argv[2]);

// localStorage: items as own enumerable properties (Object.keys lists them, as in browsers).
const localStorage = {};
const methods = {
  getItem: (key) => (Object.hasOwn(localStorage, key) ? localStorage[key] : null),
  setItem: (key, value) => {
    localStorage[key] = String(value);
  },
  removeItem: (key) => {
    delete localStorage[key];
  },
  clear: () => {
    for (const key of Object.keys(localStorage)) delete localStorage[key];
  },
};
for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(localStorage, name, { value: fn, enumerable: false });
}
Object.assign(localStorage, scenario.stored);

const urlWrites = [];
let rendered = null;
const GraphiQL = function GraphiQL() {};
GraphiQL.createFetcher = () => () => {};
const context = {
  window: { location: { search: scenario.search, href: "http://gateway/graphql" + scenario.search } },
  history: { replaceState: (...args) => urlWrites.push(args) },
  localStorage,
  Cookies: { get: () => undefined },
  GraphiQL,
  GraphiQLPluginExplorer: { explorerPlugin: () => ({}) },
  React: {
    useState: (initial) => [initial, () => {}],
    createElement: (type, props) => ({ type, props }),
  },
  ReactDOM: {
    createRoot: () => ({
      render: (element) => {
        rendered = element.type(element.props || {});
      },
    }),
  },
  document: { getElementById: () => ({}) },
  URL,
  JSON,
  Object,
};
vm.runInNewContext(script, context);

const props = rendered.props;
const storedAfterLoad = { ...localStorage };
// What GraphiQL itself would do with a storage it was given (StorageAPI: getItem, setItem).
const storage = props.storage || {
  getItem: (key) => localStorage.getItem(key),
  setItem: (key, value) => localStorage.setItem(key, value),
};
for (const [key, value] of Object.entries(scenario.writes || {})) storage.setItem(key, value);
const readBack = {};
for (const key of Object.keys(scenario.writes || {})) readBack[key] = storage.getItem(key);
props.onEditQuery("{ edited }");
props.onEditVariables('{"edited": true}');

console.log(
  JSON.stringify({
    query: props.query,
    variables: props.variables ?? null,
    headers: props.headers ?? null,
    shouldPersistHeaders: props.shouldPersistHeaders,
    storedAfterLoad,
    storedAfterWrites: { ...localStorage },
    readBack,
    urlWrites,
  }),
);
