-- CreateEnum
CREATE TYPE "AccessTargetKind" AS ENUM ('deployment', 'infrastructure');

-- CreateEnum
CREATE TYPE "AccessLevel" AS ENUM ('read', 'operate', 'admin');

-- CreateEnum
CREATE TYPE "AccessRequestState" AS ENUM ('pending', 'approved', 'active', 'denied', 'expired', 'cancelled', 'ended');

-- CreateEnum
CREATE TYPE "AccessDecision" AS ENUM ('approve', 'deny');

-- AlterTable
ALTER TABLE "Session" ADD COLUMN     "challenge" TEXT,
ADD COLUMN     "challengeExpiresAt" TIMESTAMP(3),
ADD COLUMN     "stepUpAt" TIMESTAMP(3),
ADD COLUMN     "stepUpMethod" TEXT;

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "totpEnabledAt" TIMESTAMP(3),
ADD COLUMN     "totpLastStep" INTEGER,
ADD COLUMN     "totpPendingSecret" TEXT,
ADD COLUMN     "totpSecret" TEXT;

-- CreateTable
CREATE TABLE "WebAuthnCredential" (
    "id" TEXT NOT NULL,
    "userId" UUID NOT NULL,
    "publicKey" BYTEA NOT NULL,
    "counter" BIGINT NOT NULL DEFAULT 0,
    "transports" TEXT[],
    "deviceType" TEXT NOT NULL,
    "backedUp" BOOLEAN NOT NULL DEFAULT false,
    "name" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastUsedAt" TIMESTAMP(3),

    CONSTRAINT "WebAuthnCredential_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RecoveryCode" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "codeHash" CHAR(64) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "usedAt" TIMESTAMP(3),

    CONSTRAINT "RecoveryCode_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AccessRequest" (
    "id" UUID NOT NULL,
    "requesterId" UUID NOT NULL,
    "targetKind" "AccessTargetKind" NOT NULL,
    "deploymentId" UUID,
    "tenantId" UUID,
    "infraScope" TEXT,
    "level" "AccessLevel" NOT NULL,
    "customerData" BOOLEAN NOT NULL DEFAULT false,
    "reason" TEXT NOT NULL,
    "caseId" UUID,
    "durationMinutes" INTEGER NOT NULL,
    "requiredApprovals" INTEGER NOT NULL,
    "approverPool" UUID[],
    "policyRule" TEXT NOT NULL,
    "tenantConsentRequired" BOOLEAN NOT NULL DEFAULT false,
    "tenantConsent" TEXT,
    "tenantConsentAt" TIMESTAMP(3),
    "tenantConsentBy" JSONB,
    "state" "AccessRequestState" NOT NULL DEFAULT 'pending',
    "approvalDeadline" TIMESTAMP(3) NOT NULL,
    "requestStepUp" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedAt" TIMESTAMP(3),
    "closedReason" TEXT,

    CONSTRAINT "AccessRequest_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AccessApproval" (
    "id" UUID NOT NULL,
    "requestId" UUID NOT NULL,
    "approverId" UUID NOT NULL,
    "decision" "AccessDecision" NOT NULL,
    "comment" TEXT,
    "stepUpMethod" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AccessApproval_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "AccessGrant" (
    "id" UUID NOT NULL,
    "requestId" UUID NOT NULL,
    "issuedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "providerRef" TEXT,
    "toolTokenHash" CHAR(64),
    "endedAt" TIMESTAMP(3),
    "endedBy" TEXT,
    "endReason" TEXT,
    "revokeAttempts" INTEGER NOT NULL DEFAULT 0,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "AccessGrant_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GrantAction" (
    "id" UUID NOT NULL,
    "grantId" UUID NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actorId" TEXT NOT NULL,
    "source" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "detail" JSONB,

    CONSTRAINT "GrantAction_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "ProviderAccessBinding" (
    "id" UUID NOT NULL,
    "grantId" UUID NOT NULL,
    "principal" TEXT NOT NULL,
    "scope" TEXT NOT NULL,
    "level" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revokedAt" TIMESTAMP(3),

    CONSTRAINT "ProviderAccessBinding_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "WebAuthnCredential_userId_idx" ON "WebAuthnCredential"("userId");

-- CreateIndex
CREATE UNIQUE INDEX "RecoveryCode_userId_codeHash_key" ON "RecoveryCode"("userId", "codeHash");

-- CreateIndex
CREATE INDEX "AccessRequest_requesterId_createdAt_idx" ON "AccessRequest"("requesterId", "createdAt");

-- CreateIndex
CREATE INDEX "AccessRequest_state_createdAt_idx" ON "AccessRequest"("state", "createdAt");

-- CreateIndex
CREATE INDEX "AccessRequest_deploymentId_idx" ON "AccessRequest"("deploymentId");

-- CreateIndex
CREATE UNIQUE INDEX "AccessApproval_requestId_approverId_key" ON "AccessApproval"("requestId", "approverId");

-- CreateIndex
CREATE UNIQUE INDEX "AccessGrant_requestId_key" ON "AccessGrant"("requestId");

-- CreateIndex
CREATE UNIQUE INDEX "AccessGrant_toolTokenHash_key" ON "AccessGrant"("toolTokenHash");

-- CreateIndex
CREATE INDEX "AccessGrant_expiresAt_idx" ON "AccessGrant"("expiresAt");

-- CreateIndex
CREATE INDEX "GrantAction_grantId_at_idx" ON "GrantAction"("grantId", "at");

-- CreateIndex
CREATE UNIQUE INDEX "ProviderAccessBinding_grantId_key" ON "ProviderAccessBinding"("grantId");

-- AddForeignKey
ALTER TABLE "WebAuthnCredential" ADD CONSTRAINT "WebAuthnCredential_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RecoveryCode" ADD CONSTRAINT "RecoveryCode_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AccessRequest" ADD CONSTRAINT "AccessRequest_requesterId_fkey" FOREIGN KEY ("requesterId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AccessApproval" ADD CONSTRAINT "AccessApproval_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "AccessRequest"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AccessApproval" ADD CONSTRAINT "AccessApproval_approverId_fkey" FOREIGN KEY ("approverId") REFERENCES "User"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "AccessGrant" ADD CONSTRAINT "AccessGrant_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "AccessRequest"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "GrantAction" ADD CONSTRAINT "GrantAction_grantId_fkey" FOREIGN KEY ("grantId") REFERENCES "AccessGrant"("id") ON DELETE CASCADE ON UPDATE CASCADE;
