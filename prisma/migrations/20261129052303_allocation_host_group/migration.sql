-- AlterTable
ALTER TABLE "IpAllocation" ADD COLUMN     "hostGroup" TEXT;
