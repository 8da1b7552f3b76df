import { autocompletion, closeBrackets } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { bracketMatching, HighlightStyle, syntaxHighlighting } from "@codemirror/language";
import { lintGutter } from "@codemirror/lint";
import { EditorState } from "@codemirror/state";
import { EditorView, keymap, placeholder } from "@codemirror/view";
import { tags } from "@lezer/highlight";
import { PromQLExtension } from "@prometheus-io/codemirror-promql";

const highlight = HighlightStyle.define([
  { tag: tags.keyword, color: "#c678dd" },
  { tag: tags.function(tags.variableName), color: "#61afef" },
  { tag: tags.labelName, color: "#e5c07b" },
  { tag: tags.string, color: "#98c379" },
  { tag: tags.number, color: "#d19a66" },
  { tag: tags.operator, color: "#56b6c2" },
  { tag: tags.comment, color: "#7f848e", fontStyle: "italic" },
  { tag: tags.invalid, color: "#f85149" },
]);

/**
 * The page's CSP (`style-src 'self'`) refuses the <style> elements CodeMirror adds to a document; inside a shadow
 * root it uses constructed style sheets instead, which the CSP allows. So the editor lives in one.
 */
function shadowRootIn(parent: HTMLElement): ShadowRoot {
  const host = document.createElement("div");
  host.className = "promql-editor";
  parent.append(host);
  return host.attachShadow({ mode: "open" });
}

/**
 * A PromQL editor (CodeMirror with @prometheus-io/codemirror-promql): highlighting, the linter's errors, and
 * completion of functions and of the board's metric names, labels and values, asked of the board's Prometheus
 * API with the board's token.
 */
export function promqlEditor(
  parent: HTMLElement,
  doc: string,
  prometheus: { url: string; token: string },
  onChange: (expr: string) => void,
): EditorView {
  const promql = new PromQLExtension().setComplete({
    remote: {
      url: prometheus.url,
      httpMethod: "GET",
      requestHeaders: new Headers({ authorization: `Bearer ${prometheus.token}` }),
      cache: { maxAge: 60_000 },
    },
  });
  const root = shadowRootIn(parent);
  return new EditorView({
    parent: root,
    root,
    state: EditorState.create({
      doc,
      extensions: [
        history(),
        closeBrackets(),
        bracketMatching(),
        autocompletion(),
        lintGutter(),
        keymap.of([...defaultKeymap, ...historyKeymap]),
        syntaxHighlighting(highlight),
        placeholder("PromQL, e.g. rate(http_requests_total[$__rate_interval])"),
        promql.asExtension(),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
}
