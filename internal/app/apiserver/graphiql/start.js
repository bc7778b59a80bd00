// Starts GraphiQL against this server. The token goes in the Headers pane
// ({"Authorization": "Bearer <token>"}); the same header is sent as the graphql-ws
// connection_init payload for subscriptions.
(function () {
  var wsURL = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql';
  var stored = localStorage.getItem('graphiql:headers');
  function headers() {
    try { return JSON.parse(localStorage.getItem('graphiql:headers') || '{}'); } catch (e) { return {}; }
  }
  var fetcher = GraphiQL.createFetcher({
    url: '/graphql',
    subscriptionUrl: wsURL,
    wsConnectionParams: function () { return headers(); },
  });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    defaultEditorToolsVisibility: 'headers',
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: true,
    defaultHeaders: stored || '{"Authorization": "Bearer <paste a token>"}',
    defaultQuery: '# Paste a token in the Headers pane below, then run:\n{ organisations(first: 5) { edges { node { id code name } } } }\n',
  }));
})();
