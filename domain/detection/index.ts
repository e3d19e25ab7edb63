// Detection from network flows: the engine, its inputs (allocations, thresholds) and its outputs (findings).
export { AllocationEntrySchema, AllocationError, AllocationIndex, AllocationsFileSchema, type AllocationEntry, type FlowDirectionResolver, type TenantRef, type TenantResolver } from './allocations';
export { DetectionEngine, type DetectionEngineOptions, type EngineStats } from './engine';
export { FINDING_CATEGORY, formatFlow, severityOf, toDetectionInput, type Finding, type FindingListener, type FindingPhase } from './findings';
export {
  DEFAULT_SETTINGS,
  DEFAULT_THRESHOLDS,
  FINDING_KINDS,
  ThresholdBook,
  ThresholdOverridesSchema,
  ThresholdPolicySchema,
  type DetectionSettings,
  type FindingKind,
  type ThresholdPolicy,
  type Thresholds,
} from './thresholds';
