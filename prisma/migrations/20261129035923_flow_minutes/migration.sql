-- CreateTable
CREATE TABLE "FlowMinute" (
    "minute" TIMESTAMP(3) NOT NULL,
    "detector" TEXT NOT NULL,
    "records" BIGINT NOT NULL,
    "packets" BIGINT NOT NULL,
    "bytes" BIGINT NOT NULL,
    "findings" INTEGER NOT NULL DEFAULT 0,
    "topTalkers" JSONB NOT NULL,

    CONSTRAINT "FlowMinute_pkey" PRIMARY KEY ("minute","detector")
);

-- CreateIndex
CREATE INDEX "FlowMinute_minute_idx" ON "FlowMinute"("minute");
