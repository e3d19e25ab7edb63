-- AlterTable
ALTER TABLE "Session" ADD COLUMN     "secondFactorPending" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE INDEX "AbuseReport_channel_receivedAt_idx" ON "AbuseReport"("channel", "receivedAt");
