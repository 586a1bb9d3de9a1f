// The Go-template subset the rules' annotations are written in, rendered the way Grafana renders them
// for a firing instance, so that a page from the built-in evaluator reads exactly like one from Grafana.
// Supported: {{ $labels.x }}, {{ $values.A.Value }}, {{ printf "%.Nf" … }}, {{ externalURL }},
// {{ if eq … "v" }}…{{ else if eq … }}…{{ else }}…{{ end }}. Anything else is an error (a unit test
// renders every rule), never text passed through unrendered.

export interface TemplateData {
  labels: Readonly<Record<string, string>>;
  /** The instance's value: $values.A.Value (the query is always refId A). */
  value: number;
  externalUrl: string;
}

export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

type Node = { text: string } | { expr: string } | { branches: Array<{ cond: string | undefined; body: Node[] }> };

/** A value expression: $labels.x, $values.A.Value, printf "%.Nf" <expr>, externalURL, or a quoted string. */
function evaluate(expr: string, data: TemplateData): string | number {
  const e = expr.trim();
  const label = /^\$labels\.(\w+)$/.exec(e);
  if (label) return data.labels[label[1]!] ?? '';
  if (e === '$values.A.Value') return data.value;
  if (e === 'externalURL') return data.externalUrl;
  const quoted = /^"((?:[^"\\]|\\.)*)"$/.exec(e);
  if (quoted) return JSON.parse(`"${quoted[1]!}"`) as string;
  const printf = /^printf\s+"%\.(\d+)f"\s+(.+)$/.exec(e);
  if (printf) return Number(evaluate(printf[2]!, data)).toFixed(Number(printf[1]));
  throw new TemplateError(`unsupported template expression {{ ${e} }}`);
}

/** `eq A "B"`: the only condition the rules use. */
function condition(cond: string, data: TemplateData): boolean {
  const m = /^eq\s+(\S+)\s+("(?:[^"\\]|\\.)*")$/.exec(cond.trim());
  if (!m) throw new TemplateError(`unsupported template condition {{ if ${cond.trim()} }}`);
  return String(evaluate(m[1]!, data)) === evaluate(m[2]!, data);
}

function parse(template: string): Node[] {
  const tokens = template.split(/(\{\{-?[\s\S]*?-?\}\})/);
  const root: Node[] = [];
  // Each open `if` keeps its branch list; nodes go into the last branch's body.
  const stack: Array<{ branches: Array<{ cond: string | undefined; body: Node[] }> }> = [];
  const target = () => (stack.length === 0 ? root : stack[stack.length - 1]!.branches.at(-1)!.body);
  for (const token of tokens) {
    if (token === '') continue;
    const action = /^\{\{-?\s*([\s\S]*?)\s*-?\}\}$/.exec(token);
    if (!action) {
      target().push({ text: token });
      continue;
    }
    const body = action[1]!;
    const ifMatch = /^if\s+(.+)$/.exec(body);
    const elseIf = /^else\s+if\s+(.+)$/.exec(body);
    if (ifMatch) {
      const node = { branches: [{ cond: ifMatch[1]!, body: [] as Node[] }] };
      target().push(node);
      stack.push(node);
    } else if (elseIf || body === 'else') {
      const open = stack[stack.length - 1];
      if (!open) throw new TemplateError(`{{ ${body} }} outside an if`);
      open.branches.push({ cond: elseIf ? elseIf[1]! : undefined, body: [] });
    } else if (body === 'end') {
      if (!stack.pop()) throw new TemplateError('{{ end }} without an if');
    } else target().push({ expr: body });
  }
  if (stack.length > 0) throw new TemplateError('an {{ if }} is never closed');
  return root;
}

function render(nodes: readonly Node[], data: TemplateData): string {
  let out = '';
  for (const node of nodes) {
    if ('text' in node) out += node.text;
    else if ('expr' in node) out += String(evaluate(node.expr, data));
    else {
      const branch = node.branches.find((b) => b.cond === undefined || condition(b.cond, data));
      if (branch) out += render(branch.body, data);
    }
  }
  return out;
}

export function renderTemplate(template: string, data: TemplateData): string {
  return render(parse(template), data);
}
