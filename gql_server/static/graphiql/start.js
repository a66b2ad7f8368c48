// Starts GraphiQL on the page gql_server/graphiql_page.py renders. A file rather than an inline
// script, so that the page's Content-Security-Policy allows scripts from this server only.
// Its settings come from the page's JSON block #graphiql-config: {"query", "styleNonce"}.
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("graphiql-config").textContent);
  // The <style> elements GraphiQL adds while a menu or dialog is open carry this nonce, which
  // the page's policy allows (its bundle reads webpack's global for it).
  window.__webpack_nonce__ = config.styleNonce;
  var url = window.location.href.split(/[?#]/)[0];
  var socketUrl = new URL(url);
  socketUrl.protocol = socketUrl.protocol === "https:" ? "wss:" : "ws:";
  var send = GraphiQL.createFetcher({ url: url, subscriptionUrl: socketUrl.toString() });

  // The access token of a login, register or refreshToken answer (any AuthPayload).
  function accessTokenIn(result) {
    var data = result && result.data;
    if (!data || typeof data !== "object") return null;
    for (var field in data) {
      if (data[field] && typeof data[field].accessToken === "string") return data[field].accessToken;
    }
    return null;
  }

  // The fetcher answers with a promise of a result or of an async iterable of results.
  function watch(answer, onToken) {
    if (answer && typeof answer.then === "function") {
      return answer.then(function (value) { return watch(value, onToken); });
    }
    if (answer && typeof answer[Symbol.asyncIterator] === "function") {
      return (async function* () {
        for await (var part of answer) {
          watch(part, onToken);
          yield part;
        }
      })();
    }
    var token = accessTokenIn(answer);
    if (token) onToken(token);
    return answer;
  }

  // Signing in puts `Authorization: Bearer <accessToken>` in the Headers tab, beside any
  // other header already there, so the next operation runs as that user.
  function withToken(headersText, token) {
    var headers = {};
    try {
      var parsed = JSON.parse(headersText || "{}");
      if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) headers = parsed;
    } catch (error) {
      // Not JSON yet (half typed): replaced by the token alone.
    }
    delete headers.authorization;
    headers.Authorization = "Bearer " + token;
    return JSON.stringify(headers, null, 2);
  }

  function App() {
    var state = React.useState("");
    var headers = state[0];
    var setHeaders = state[1];
    var typed = React.useRef("");
    var fetcher = React.useCallback(function (params, options) {
      return watch(send(params, options), function (token) {
        var next = withToken(typed.current, token);
        typed.current = next;
        setHeaders(next);
      });
    }, []);
    return React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: config.query,
      headers: headers,
      onEditHeaders: function (text) { typed.current = text; },
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
    });
  }

  ReactDOM.createRoot(document.getElementById("graphiql")).render(React.createElement(App));
})();
