import { PassThrough } from 'node:stream';
import { firstValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { reportPage } from '../../src/report/page.js';
import {
  BABYSIT_CONTROLS,
  CONTROL_HELP,
  controlFromJson,
  controlLines,
  controlText,
  parseControlLine,
} from '../../src/training/babysitControls.js';

describe('the babysit controls, declared once', () => {
  it('parses typed lines, and says what a bad one lacks', () => {
    expect(parseControlLine('lr 1e-3')).toEqual({ type: 'learningRate', value: 1e-3 });
    expect(parseControlLine(' rollback 2 ')).toEqual({ type: 'rollback', epoch: 2 });
    expect(parseControlLine('pause')).toEqual({ type: 'pause' });
    expect(parseControlLine('lr -1')).toBe("lr needs a positive number, got '-1'");
    expect(parseControlLine('lr')).toBe("lr needs a positive number, got ''");
    expect(parseControlLine('rollback 1.5')).toBe("rollback needs an epoch number ≥ 1, got '1.5'");
    expect(parseControlLine('pause now')).toBe(`unexpected 'now'; ${CONTROL_HELP}`);
    expect(parseControlLine('dance')).toBe(CONTROL_HELP);
    expect(CONTROL_HELP).toBe('commands: lr RATE | pause | resume | stop | rollback EPOCH | help');
  });

  it('checks JSON controls by the same rules, and writes each as it is typed', () => {
    for (const spec of BABYSIT_CONTROLS) {
      const json = spec.argument ? { type: spec.type, [spec.argument.field]: 3 } : { type: spec.type };
      const control = controlFromJson(json);
      expect(control).toEqual(json);
      // What is typed for a control parses back to it.
      expect(parseControlLine(controlText(json))).toEqual(json);
    }
    expect(controlFromJson({ type: 'rollback', epoch: 0 })).toBe("rollback needs an epoch number ≥ 1, got '0'");
    expect(controlFromJson({ type: 'learningRate', value: '0.1' })).toEqual({ type: 'learningRate', value: 0.1 });
    expect(controlFromJson({ type: 'dance' })).toMatch(
      /^unknown control 'dance'; expected one of learningRate, pause, resume, stop, rollback$/,
    );
  });

  it('gives the dashboard page a button for every control, with an input for its argument', () => {
    const page = reportPage('run', '', { controls: true, nonce: 'n' });
    for (const spec of BABYSIT_CONTROLS) {
      expect(page).toContain(`data-control="${spec.type}"`);
      if (spec.argument) expect(page).toContain(`id="argument-${spec.type}"`);
    }
  });

  it('reads controls from lines on a stream, answering those that are not', async () => {
    const input = new PassThrough();
    const answers: string[] = [];
    const controls = firstValueFrom(controlLines(input, (text) => answers.push(text)).pipe(take(2), toArray()));
    input.write('lr 0.5\n\nfly\nstop\n');
    expect(await controls).toEqual([{ type: 'learningRate', value: 0.5 }, { type: 'stop' }]);
    expect(answers).toEqual([CONTROL_HELP]);
  });
});
