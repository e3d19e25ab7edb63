import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NextConfig } from 'next';

// The console imports shared code from the repository root (lib/, domain/, generated/).
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const config: NextConfig = {
  poweredByHeader: false,
  reactStrictMode: true,
  turbopack: { root },
  outputFileTracingRoot: root,
  // Native and Node-only packages stay out of the bundle and load from node_modules at run time.
  serverExternalPackages: [
    '@temporalio/client',
    '@temporalio/common',
    '@temporalio/proto',
    '@grpc/grpc-js',
    '@prisma/client',
    '@prisma/adapter-pg',
    'pg',
    'pino',
    'pino-pretty',
    '@node-rs/argon2',
    'nodemailer',
  ],
  async headers() {
    return [
      {
        source: '/:path*',
        headers: [
          { key: 'X-Frame-Options', value: 'DENY' },
          { key: 'X-Content-Type-Options', value: 'nosniff' },
          { key: 'Referrer-Policy', value: 'same-origin' },
        ],
      },
      // Tenant pages carry their access token in the path: never send it on in a Referer.
      { source: '/t/:path*', headers: [{ key: 'Referrer-Policy', value: 'no-referrer' }, { key: 'Cache-Control', value: 'no-store' }] },
    ];
  },
};

export default config;
