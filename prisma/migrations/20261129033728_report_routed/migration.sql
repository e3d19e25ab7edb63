-- AlterTable
ALTER TABLE "AbuseReport" ADD COLUMN     "routedAt" TIMESTAMP(3);

-- CreateIndex
CREATE INDEX "AbuseReport_attribution_routedAt_idx" ON "AbuseReport"("attribution", "routedAt");

-- Reports attributed before this migration were routed by the intake workflow of the time.
UPDATE "AbuseReport" SET "routedAt" = "lastReceivedAt" WHERE attribution = 'attributed';
