-- The audit chain is sealed after the fact (lib/audit.ts): entries are written without the global lock and get
-- their chain position and hashes from the sealer. Entries written before this migration were chained in seq order.

-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN     "chainSeq" BIGINT,
ALTER COLUMN "prevHash" DROP NOT NULL,
ALTER COLUMN "hash" DROP NOT NULL;

-- Backfill: the existing chain's order is its seq order.
UPDATE "AuditEvent" AS a SET "chainSeq" = o.position
FROM (SELECT seq, row_number() OVER (ORDER BY seq) AS position FROM "AuditEvent") AS o
WHERE a.seq = o.seq;

-- CreateIndex
CREATE UNIQUE INDEX "AuditEvent_chainSeq_key" ON "AuditEvent"("chainSeq");
