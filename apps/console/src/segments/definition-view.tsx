import type { Definition } from '../types';
import { describeDefinition, Line } from './describe-definition';
import { DiffLine, lineDiff } from './line-diff';

const indent = (line: Line) => `${'  '.repeat(line.depth)}${line.text}`;

export function DefinitionView({ definition }: { definition: Definition }) {
  return (
    <ul className="definition" aria-label="Definition">
      {describeDefinition(definition).map((line, index) => (
        <li key={index} style={{ paddingLeft: `${line.depth * 1.25}rem` }}>
          {line.text}
        </li>
      ))}
    </ul>
  );
}

/** What changed from one version to the next, in the same readable lines. */
export function VersionDiff({ before, after }: { before: Definition; after: Definition }) {
  const lines: DiffLine[] = lineDiff(describeDefinition(before).map(indent), describeDefinition(after).map(indent));
  return (
    <pre className="diff" aria-label="Changes from the previous version">
      {lines.map((line, index) => (
        <div key={index} className={`diff-${line.kind}`}>
          {line.kind === 'added' ? '+ ' : line.kind === 'removed' ? '− ' : '  '}
          {line.text}
        </div>
      ))}
    </pre>
  );
}
