-- CreateEnum
CREATE TYPE "ForensicState" AS ENUM ('proposed', 'approved', 'declined', 'expired', 'collecting', 'analysing', 'completed', 'revoked', 'window_closed');

-- CreateTable
CREATE TABLE "ForensicRequest" (
    "id" UUID NOT NULL,
    "workflowId" TEXT NOT NULL,
    "caseId" UUID NOT NULL,
    "tenantId" UUID NOT NULL,
    "proposedBy" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "proposedScope" JSONB NOT NULL,
    "approvedScope" JSONB,
    "accessHours" INTEGER NOT NULL,
    "retentionDays" INTEGER NOT NULL,
    "state" "ForensicState" NOT NULL DEFAULT 'proposed',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "linkExpiresAt" TIMESTAMP(3) NOT NULL,
    "decision" TEXT,
    "decidedAt" TIMESTAMP(3),
    "decidedByName" TEXT,
    "decidedByEmail" TEXT,
    "decidedFromIp" TEXT,
    "decidedUserAgent" TEXT,
    "scopeTextShown" TEXT,
    "scopeHash" TEXT,
    "windowEndsAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "revokedBy" TEXT,
    "completedAt" TIMESTAMP(3),
    "report" JSONB,
    "reportText" TEXT,
    "sharedAt" TIMESTAMP(3),
    "retentionUntil" TIMESTAMP(3),
    "artifactsDeletedAt" TIMESTAMP(3),

    CONSTRAINT "ForensicRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ForensicArtifact" (
    "id" UUID NOT NULL,
    "requestId" UUID NOT NULL,
    "collectionKey" TEXT NOT NULL,
    "deploymentId" UUID NOT NULL,
    "vmId" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "filename" TEXT NOT NULL,
    "contentType" TEXT NOT NULL,
    "sizeBytes" INTEGER NOT NULL,
    "sha256" CHAR(64) NOT NULL,
    "collectedBy" TEXT NOT NULL,
    "collectedAt" TIMESTAMP(3) NOT NULL,
    "source" TEXT NOT NULL,
    "storagePath" TEXT,
    "deletedAt" TIMESTAMP(3),

    CONSTRAINT "ForensicArtifact_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "ForensicRequest_workflowId_key" ON "ForensicRequest"("workflowId");

-- CreateIndex
CREATE INDEX "ForensicRequest_caseId_idx" ON "ForensicRequest"("caseId");

-- CreateIndex
CREATE INDEX "ForensicRequest_tenantId_state_idx" ON "ForensicRequest"("tenantId", "state");

-- CreateIndex
CREATE UNIQUE INDEX "ForensicArtifact_collectionKey_key" ON "ForensicArtifact"("collectionKey");

-- CreateIndex
CREATE INDEX "ForensicArtifact_requestId_idx" ON "ForensicArtifact"("requestId");

-- AddForeignKey
ALTER TABLE "ForensicRequest" ADD CONSTRAINT "ForensicRequest_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "Case"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ForensicArtifact" ADD CONSTRAINT "ForensicArtifact_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "ForensicRequest"("id") ON DELETE CASCADE ON UPDATE CASCADE;
