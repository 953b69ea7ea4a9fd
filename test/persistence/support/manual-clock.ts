// The persistence tests' clock is the project's virtual clock (one definition of a clock that moves when told).
export { VirtualClock as ManualClock } from '../../../src/time/virtual-clock.ts';
