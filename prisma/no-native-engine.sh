#!/bin/sh
echo "Prisma's native schema engine is not used by Safeguard: run 'npm run db:migrate' (prisma/migrate.ts)." >&2
exit 1
