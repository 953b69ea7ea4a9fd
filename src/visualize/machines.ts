import type { AnyStateMachine } from 'xstate';
import { modelMachine } from '../../machines/model.machine.ts';
import { supervisorMachine } from '../../machines/supervisor.machine.ts';

/** A machine that gets diagrams, and the file it is defined in (named in every generated header). */
export interface DiagramMachine {
  name: string;
  source: string;
  machine: AnyStateMachine;
}

export const DIAGRAM_MACHINES: readonly DiagramMachine[] = [
  { name: 'model', source: 'machines/model.machine.ts', machine: modelMachine },
  { name: 'supervisor', source: 'machines/supervisor.machine.ts', machine: supervisorMachine },
];
