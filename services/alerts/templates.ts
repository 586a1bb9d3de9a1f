// The Go-template subset the rules' annotations are written in, rendered the way Grafana renders them
// for a firing instance, so that a page from the built-in evaluator reads exactly like one from Grafana.
// Supported: {{ $labels.x }}, {{ $values.A.Value }}, {{ printf "%.Nf" … }}, {{ externalURL }}, and
// {{ if … }}…{{ else if … }}…{{ else }}…{{ end }} over eq, ne, not, and, or and parentheses. Anything
// else is an error (a unit test renders every rule), never text passed through unrendered.

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

type Value = string | number | boolean;

/** Go's truth: false, 0 and the empty string are false. */
const truthy = (v: Value) => v !== false && v !== 0 && v !== '';

/** Splits an action into atoms and parenthesised groups: `not (or $labels.a $labels.b)` → ['not', ['or', …]]. */
type Term = string | Term[];
function terms(text: string): Term[] {
  const out: Term[] = [];
  const stack: Term[][] = [out];
  const pattern = /\s*(\(|\)|"(?:[^"\\]|\\.)*"|[^\s()]+)/gy;
  let read = 0;
  for (let m = pattern.exec(text); m !== null && m[0] !== ''; m = pattern.exec(text)) {
    read = pattern.lastIndex;
    const token = m[1]!;
    if (token === '(') {
      const group: Term[] = [];
      stack[stack.length - 1]!.push(group);
      stack.push(group);
    } else if (token === ')') {
      if (stack.length === 1) throw new TemplateError(`unbalanced ) in {{ ${text} }}`);
      stack.pop();
    } else stack[stack.length - 1]!.push(token);
  }
  if (stack.length !== 1) throw new TemplateError(`unbalanced ( in {{ ${text} }}`);
  if (text.slice(read).trim() !== '') throw new TemplateError(`cannot read {{ ${text} }}`);
  return out;
}

function atom(term: Term, data: TemplateData): Value {
  if (Array.isArray(term)) return call(term, data);
  const label = /^\$labels\.(\w+)$/.exec(term);
  if (label) return data.labels[label[1]!] ?? '';
  if (term === '$values.A.Value') return data.value;
  if (term === 'externalURL') return data.externalUrl;
  if (/^"((?:[^"\\]|\\.)*)"$/.test(term)) return JSON.parse(term) as string;
  if (/^-?\d+(\.\d+)?$/.test(term)) return Number(term);
  throw new TemplateError(`unsupported template term ${term}`);
}

/** A function call (eq, ne, not, and, or, printf "%.Nf") or a single term. */
function call(list: Term[], data: TemplateData): Value {
  const [head, ...args] = list;
  if (head === undefined) throw new TemplateError('empty template action');
  const values = () => args.map((a) => atom(a, data));
  switch (head) {
    case 'eq':
    case 'ne': {
      const [a, ...rest] = values();
      if (a === undefined || rest.length === 0) throw new TemplateError(`${head} needs two arguments`);
      const equal = rest.some((b) => String(a) === String(b));
      return head === 'eq' ? equal : !equal;
    }
    case 'not':
      if (args.length !== 1) throw new TemplateError('not needs one argument');
      return !truthy(atom(args[0]!, data));
    case 'and': {
      let last: Value = true;
      for (const a of args) if (!truthy((last = atom(a, data)))) return last;
      return last;
    }
    case 'or': {
      let last: Value = false;
      for (const a of args) if (truthy((last = atom(a, data)))) return last;
      return last;
    }
    case 'printf': {
      const format = /^"%\.(\d+)f"$/.exec(typeof args[0] === 'string' ? args[0] : '');
      if (!format || args.length !== 2) throw new TemplateError('only printf "%.Nf" <number> is supported');
      return Number(atom(args[1]!, data)).toFixed(Number(format[1]));
    }
    default:
      if (args.length > 0) throw new TemplateError(`unsupported template function ${String(head)}`);
      return atom(head, data);
  }
}

/** An action's value: `$labels.x`, `printf "%.1f" $values.A.Value`, `eq $labels.x "v"`, `not (or …)`. */
function evaluate(expr: string, data: TemplateData): Value {
  return call(terms(expr.trim()), data);
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
      const branch = node.branches.find((b) => b.cond === undefined || truthy(evaluate(b.cond, data)));
      if (branch) out += render(branch.body, data);
    }
  }
  return out;
}

export function renderTemplate(template: string, data: TemplateData): string {
  return render(parse(template), data);
}
