// Every workflow the worker serves. Deterministic code only below this folder.
export { healthProbeWorkflow } from './health-probe';
export { abuseCaseWorkflow } from './abuse-case';
export { forensicAnalysisWorkflow } from './forensics';
export { accessRequestWorkflow } from './access';
