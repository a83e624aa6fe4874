// strata.yaml's YAML tree turned into plain values, with every node's position kept for
// messages, `${env:NAME}` resolved and literal secrets refused (problems collected, not thrown).
import { isAlias, isMap, isScalar, isSeq, type Document, type Node as YamlNode } from 'yaml';
import { formatPath, type ConfigProblem, type PathSegment } from './config-messages.js';

interface Located {
  line: number;
  column: number;
}

const ENV_REF = /\$\{env:([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ONLY_ENV_REF = /^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/;
/** Keys whose value is a secret: password, secret, token, and *_password, *_secret, *_token, *_key. */
const SECRET_KEY = /^(password|secret|token)$|_(password|secret|token|key)$/i;

/** Names that end like a secret's but name something else (a job task's key). */
const NOT_SECRET = new Set(['task_key']);

/** True if `key` names a value that must come from the environment. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key) && !NOT_SECRET.has(key.toLowerCase());
}

export class Walker {
  readonly problems: ConfigProblem[] = [];
  /** Paths whose value had an unresolved or malformed ${env:...}: their type errors are not repeated. */
  readonly envFailed: PathSegment[][] = [];
  /** Nodes by path (JSON of the path): the key node (for map entries) and the value node. */
  private readonly nodes = new Map<string, { key?: YamlNode; value?: YamlNode }>();
  private readonly visiting = new Set<YamlNode>();

  constructor(
    private readonly doc: Document,
    private readonly file: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly at: (offset: number) => Located,
  ) {}

  value(node: YamlNode | null, p: PathSegment[]): unknown {
    if (node === null) return null;
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (target === undefined) return null; // an unresolved alias is a YAML error, reported before
      if (this.visiting.has(target)) {
        this.problem(p, node, 'an alias refers to a node that contains it');
        return null;
      }
      return this.value(target, p);
    }
    this.visiting.add(node);
    try {
      if (isMap(node)) {
        const entries: [string, unknown][] = [];
        for (const pair of node.items) {
          const keyNode = pair.key as YamlNode | null;
          const key = isScalar(keyNode) ? keyNode.value : undefined;
          if (key === null || key === undefined || typeof key === 'object') {
            this.problem(p, keyNode ?? node, 'a key must be plain text');
            continue;
          }
          const childPath = [...p, String(key)];
          const valueNode = (pair.value as YamlNode | null) ?? undefined;
          this.nodes.set(JSON.stringify(childPath), { key: keyNode ?? undefined, value: valueNode });
          entries.push([String(key), this.value(valueNode ?? null, childPath)]);
        }
        // fromEntries defines properties: a key named __proto__ stays an ordinary key.
        return Object.fromEntries(entries);
      }
      if (isSeq(node)) {
        return node.items.map((item, i) => {
          const childPath = [...p, i];
          this.nodes.set(JSON.stringify(childPath), { value: (item as YamlNode | null) ?? undefined });
          return this.value((item as YamlNode | null) ?? null, childPath);
        });
      }
      if (isScalar(node)) return this.scalar(node.value, node, p);
      return null;
    } finally {
      this.visiting.delete(node);
    }
  }

  private scalar(value: unknown, node: YamlNode, p: PathSegment[]): unknown {
    const key = p[p.length - 1];
    if (typeof key === 'string' && isSecretKey(key) && value !== null && value !== undefined) {
      if (typeof value !== 'string' || !ONLY_ENV_REF.test(value)) {
        this.problem(
          p,
          node,
          'a secret must not be written in strata.yaml; use ${env:NAME} and set NAME in the environment',
        );
      }
    }
    if (typeof value !== 'string' || !value.includes('${env:')) return value;
    let failed = false;
    const resolved = value.replace(ENV_REF, (ref, name: string) => {
      if (!ENV_NAME.test(name)) {
        failed = true;
        this.problem(
          p,
          node,
          `"${ref}" is not a valid environment reference; write \${env:NAME} with NAME made of letters, digits and _`,
        );
        return ref;
      }
      const v = this.env[name];
      if (v === undefined) {
        failed = true;
        this.problem(p, node, `environment variable ${name} is not set`);
        return ref;
      }
      return v;
    });
    if (failed) this.envFailed.push(p);
    return resolved;
  }

  private problem(p: PathSegment[], node: YamlNode, message: string): void {
    this.problems.push({ file: this.file, ...this.position(node), path: formatPath(p), message });
  }

  private position(node: YamlNode | undefined): Located {
    const offset = node?.range?.[0];
    return offset === undefined ? { line: 1, column: 1 } : this.at(offset);
  }

  /**
   * Where to point for a problem at `p`: 'key' → the key itself; 'value' → the value (its key if
   * it has no value node); 'parent' (a missing key) → the key of the object that lacks it.
   */
  locate(p: PathSegment[], target: 'key' | 'value' | 'parent'): Located {
    let at = target === 'parent' ? p.slice(0, -1) : p;
    let first = true;
    for (;;) {
      if (at.length === 0) {
        const root = this.doc.contents as YamlNode | null;
        return this.position(root ?? undefined);
      }
      const entry = this.nodes.get(JSON.stringify(at));
      if (entry !== undefined) {
        const preferValue = target === 'value' && first;
        const node = preferValue ? (entry.value ?? entry.key) : (entry.key ?? entry.value);
        if (node !== undefined) return this.position(node);
      }
      at = at.slice(0, -1);
      first = false;
    }
  }
}
