-- CreateIndex
CREATE INDEX "AbuseReport_tenantId_receivedAt_idx" ON "AbuseReport"("tenantId", "receivedAt");

-- CreateIndex
CREATE INDEX "AccessRequest_tenantId_createdAt_idx" ON "AccessRequest"("tenantId", "createdAt");
