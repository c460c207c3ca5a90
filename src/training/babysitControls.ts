import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Observable, share } from 'rxjs';
import { parseDecimal } from '../model/decimal.js';
import type { BabysitControl } from './babysitLoop.js';

/** One control of a babysat run: the word typed for it, its button, and its argument if it takes one. */
export interface ControlSpec {
  readonly type: BabysitControl['type'];
  /** What is typed on stdin: `lr 0.01`, `pause`. */
  readonly word: string;
  /** The dashboard button's text. */
  readonly button: string;
  readonly argument?: {
    /** The control's field that holds it. */
    readonly field: 'value' | 'epoch';
    /** The dashboard's label for its input. */
    readonly label: string;
    readonly valid: (value: number) => boolean;
    readonly expected: string;
  };
}

/**
 * Every control of a babysat run, declared once: stdin (`parseControlLine`), the dashboard's
 * buttons and its `/control` requests (`controlFromJson`), and the history's labels all read
 * this list, so a control added here reaches them all (`babysitLoop` carries it out).
 *
 * @example
 * BABYSIT_CONTROLS.map((c) => c.word) // ['lr', 'pause', 'resume', 'stop', 'rollback']
 */
export const BABYSIT_CONTROLS: readonly ControlSpec[] = [
  {
    type: 'learningRate',
    word: 'lr',
    button: 'Set',
    argument: { field: 'value', label: 'learning rate', valid: (v) => v > 0 && Number.isFinite(v), expected: 'a positive number' },
  },
  { type: 'pause', word: 'pause', button: 'Pause' },
  { type: 'resume', word: 'resume', button: 'Resume' },
  { type: 'stop', word: 'stop', button: 'Stop' },
  {
    type: 'rollback',
    word: 'rollback',
    button: 'Roll back',
    argument: { field: 'epoch', label: 'rollback to epoch', valid: (v) => Number.isInteger(v) && v >= 1, expected: 'an epoch number ≥ 1' },
  },
];

/** The line that lists the controls, as typed. */
export const CONTROL_HELP = `commands: ${BABYSIT_CONTROLS.map((c) => (c.argument ? `${c.word} ${c.argument.field === 'value' ? 'RATE' : 'EPOCH'}` : c.word)).join(' | ')} | help`;

function build(spec: ControlSpec, argument: unknown): BabysitControl | string {
  if (!spec.argument) return { type: spec.type } as BabysitControl;
  const value = typeof argument === 'number' ? argument : typeof argument === 'string' ? parseDecimal(argument) : NaN;
  if (!spec.argument.valid(value))
    return `${spec.word} needs ${spec.argument.expected}, got '${argument === undefined ? '' : String(argument)}'`;
  return { type: spec.type, [spec.argument.field]: value } as BabysitControl;
}

/**
 * Parses one line typed while a run is babysat (`lr 0.01`, `rollback 3`, `pause`): the control,
 * or a message saying what is expected.
 *
 * @example
 * parseControlLine('lr 0.01') // { type: 'learningRate', value: 0.01 }
 */
export function parseControlLine(line: string): BabysitControl | string {
  const [word, argument, ...rest] = line.trim().split(/\s+/);
  if (rest.length > 0) return `unexpected '${rest.join(' ')}'; ${CONTROL_HELP}`;
  const spec = BABYSIT_CONTROLS.find((c) => c.word === word);
  if (!spec) return CONTROL_HELP;
  if (!spec.argument && argument !== undefined) return `unexpected '${argument}'; ${CONTROL_HELP}`;
  return build(spec, argument);
}

/**
 * Checks a control sent as JSON (the dashboard's `/control`, or any API caller): the control, or
 * a message saying what is expected.
 *
 * @example
 * controlFromJson({ type: 'rollback', epoch: 2 }) // { type: 'rollback', epoch: 2 }
 */
export function controlFromJson(json: Readonly<Record<string, unknown>>): BabysitControl | string {
  const spec = BABYSIT_CONTROLS.find((c) => c.type === json.type);
  if (!spec) return `unknown control '${String(json.type)}'; expected one of ${BABYSIT_CONTROLS.map((c) => c.type).join(', ')}`;
  return build(spec, spec.argument ? json[spec.argument.field] : undefined);
}

/**
 * A control as it is typed: `lr 0.01`, `rollback 3`, `pause`.
 *
 * @example
 * controlText({ type: 'learningRate', value: 0.01 }) // 'lr 0.01'
 */
export function controlText(control: Readonly<Record<string, unknown>>): string {
  const spec = BABYSIT_CONTROLS.find((c) => c.type === control.type);
  if (!spec) return String(control.type);
  return spec.argument ? `${spec.word} ${String(control[spec.argument.field])}` : spec.word;
}

/**
 * The controls typed on a stream, one a line (blank lines ignored); a line that is not a control
 * is answered through `answer`, not sent. Shared: the lines are read once however many subscribe.
 *
 * @example
 * babysit({ data: 'train.arrow', config, dir: 'runs/a', controls: controlLines(process.stdin, (text) => console.error(text)) });
 */
export function controlLines(input: Readable, answer: (text: string) => void): Observable<BabysitControl> {
  return new Observable<BabysitControl>((subscriber) => {
    const lines = createInterface({ input, terminal: false });
    lines.on('line', (line) => {
      if (line.trim() === '') return;
      const control = parseControlLine(line);
      if (typeof control === 'string') answer(control);
      else subscriber.next(control);
    });
    return () => lines.close();
  }).pipe(share());
}
