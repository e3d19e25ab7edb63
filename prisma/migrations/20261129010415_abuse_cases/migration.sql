-- CreateEnum
CREATE TYPE "AttributionStatus" AS ENUM ('pending', 'attributed', 'unattributed');

-- CreateEnum
CREATE TYPE "ProviderActionKind" AS ENUM ('suspend', 'restore');

-- AlterTable
ALTER TABLE "AbuseReport" ADD COLUMN     "attribution" "AttributionStatus" NOT NULL DEFAULT 'pending',
ADD COLUMN     "attributionNote" TEXT,
ADD COLUMN     "confidence" TEXT,
ADD COLUMN     "confirmedAt" TIMESTAMP(3),
ADD COLUMN     "deploymentId" UUID,
ADD COLUMN     "normalized" JSONB,
ADD COLUMN     "reportedUrls" TEXT[],
ADD COLUMN     "reporterEmail" TEXT,
ADD COLUMN     "summary" TEXT,
ADD COLUMN     "tenantId" UUID;

-- AlterTable
ALTER TABLE "Case" ADD COLUMN     "acknowledgedAt" TIMESTAMP(3),
ADD COLUMN     "everSuspended" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "extensionReason" TEXT,
ADD COLUMN     "extensionStatus" TEXT,
ADD COLUMN     "lastEvidenceAt" TIMESTAMP(3),
ADD COLUMN     "mergedIntoId" UUID,
ADD COLUMN     "rejectReason" TEXT,
ADD COLUMN     "remediation" TEXT,
ADD COLUMN     "remediationAt" TIMESTAMP(3),
ADD COLUMN     "reopenCount" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "reopenedAt" TIMESTAMP(3),
ADD COLUMN     "reportCount" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Reporter" ADD COLUMN     "notifyOutcome" BOOLEAN NOT NULL DEFAULT true;

-- CreateTable
CREATE TABLE "ReporterApiKey" (
    "id" UUID NOT NULL,
    "reporterId" UUID NOT NULL,
    "label" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "keyHash" CHAR(64) NOT NULL,
    "createdBy" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ReporterApiKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProviderAction" (
    "id" UUID NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "kind" "ProviderActionKind" NOT NULL,
    "deploymentId" UUID NOT NULL,
    "caseId" UUID,
    "provider" TEXT NOT NULL,
    "requestedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMP(3),
    "result" JSONB,

    CONSTRAINT "ProviderAction_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AccessLink" (
    "id" UUID NOT NULL,
    "tokenHash" CHAR(64) NOT NULL,
    "purpose" TEXT NOT NULL,
    "subjectId" TEXT NOT NULL,
    "tenantId" UUID,
    "email" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "AccessLink_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ReporterApiKey_prefix_key" ON "ReporterApiKey"("prefix");

-- CreateIndex
CREATE INDEX "ReporterApiKey_reporterId_idx" ON "ReporterApiKey"("reporterId");

-- CreateIndex
CREATE UNIQUE INDEX "ProviderAction_idempotencyKey_key" ON "ProviderAction"("idempotencyKey");

-- CreateIndex
CREATE INDEX "ProviderAction_deploymentId_idx" ON "ProviderAction"("deploymentId");

-- CreateIndex
CREATE UNIQUE INDEX "AccessLink_tokenHash_key" ON "AccessLink"("tokenHash");

-- CreateIndex
CREATE INDEX "AccessLink_purpose_subjectId_idx" ON "AccessLink"("purpose", "subjectId");

-- CreateIndex
CREATE INDEX "AbuseReport_attribution_receivedAt_idx" ON "AbuseReport"("attribution", "receivedAt");

-- CreateIndex
CREATE INDEX "Reporter_email_idx" ON "Reporter"("email");

-- AddForeignKey
ALTER TABLE "ReporterApiKey" ADD CONSTRAINT "ReporterApiKey_reporterId_fkey" FOREIGN KEY ("reporterId") REFERENCES "Reporter"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ProviderAction" ADD CONSTRAINT "ProviderAction_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "Case"("id") ON DELETE SET NULL ON UPDATE CASCADE;
