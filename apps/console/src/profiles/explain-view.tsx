import { formatDate } from '../format';
import { valuesText } from './explain-values';
import { describeRules } from '../segments/describe-definition';

export interface ExplainNode {
  path: string;
  type: string;
  condition: { type: string; [field: string]: unknown };
  matches: boolean;
  values?: Record<string, unknown>;
  changesAt: string | null;
  children?: ExplainNode[];
}

export interface Explanation {
  segment: { id: string; key: string; type: string; version: number; refreshCadence: string };
  at: string;
  matches: boolean;
  member: boolean;
  nextChangeAt?: string | null;
  root?: ExplainNode;
  model?: Record<string, unknown>;
}

/** GET /profiles/:id/explain as a readable tree: each condition, ✓ or ✗, what decided it, when it flips. */
export function ExplainView({ explanation }: { explanation: Explanation }) {
  const { segment } = explanation;
  return (
    <div aria-label={`Explanation for ${segment.key}`} role="region">
      <p role="status">
        <strong>{explanation.matches ? 'Matches' : 'Does not match'}</strong> {segment.key} v{segment.version} now ·{' '}
        {explanation.member ? 'in the stored membership' : 'not in the stored membership'}
        {explanation.nextChangeAt ? ` · changes on its own at ${formatDate(explanation.nextChangeAt)}` : ''}
      </p>
      {explanation.root && (
        <ul className="explain-tree">
          <NodeView node={explanation.root} />
        </ul>
      )}
      {explanation.model && <ModelView model={explanation.model} />}
    </div>
  );
}

function NodeView({ node }: { node: ExplainNode }) {
  return (
    <li data-path={node.path}>
      <span className={node.matches ? 'added' : 'removed'}>{node.matches ? '✓' : '✗'}</span> <span>{textOf(node)}</span>
      {node.values && <span className="muted"> — {valuesText(node.values)}</span>}
      {node.changesAt && <span className="muted"> · flips at {formatDate(node.changesAt)}</span>}
      {node.children && (
        <ul>
          {node.children.map((child) => (
            <NodeView key={child.path} node={child} />
          ))}
        </ul>
      )}
    </li>
  );
}

function textOf(node: ExplainNode): string {
  if (node.type === 'all') return 'all of:';
  if (node.type === 'any') return 'any of:';
  if (node.type === 'not') return 'not:';
  return describeRules(node.condition)[0]?.text ?? node.type;
}

function ModelView({ model }: { model: Record<string, unknown> }) {
  return (
    <table aria-label="Model explanation">
      <tbody>
        {Object.entries(model).map(([key, value]) => (
          <tr key={key}>
            <th scope="row">{key}</th>
            <td>{typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
