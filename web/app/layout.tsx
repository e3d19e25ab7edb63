import type { Metadata } from 'next';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { Providers } from '../lib/trpc';
import { currentUser } from '../lib/session';
import { SignOutButton } from './sign-out-button';
import './globals.css';

export const metadata: Metadata = { title: 'Safeguard', description: 'Shared-responsibility security console' };
// Every page depends on who is signed in.
export const dynamic = 'force-dynamic';

export default async function RootLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  return (
    <html lang="en">
      <body>
        <Providers>
          <header className="topbar">
            <Link href="/" className="brand">
              Safeguard
            </Link>
            {user && (
              <nav aria-label="Main">
                <Link href="/">Home</Link>
                <Link href="/cases">Cases</Link>
                <Link href="/inbox">Inbox</Link>
                <Link href="/tenants">Tenants</Link>
                <Link href="/detections">Detections</Link>
                <Link href="/access">Access</Link>
                {user.role !== 'analyst' && <Link href="/audit">Audit</Link>}
                {user.role === 'admin' && <Link href="/reporters">Reporters</Link>}
                <Link href="/status">Status</Link>
                <Link href="/mailbox">Mailbox</Link>
                <Link href="/account/security">Security</Link>
              </nav>
            )}
            {user && (
              <div className="who">
                <span data-testid="current-user">
                  {user.name} · {user.role}
                </span>
                <SignOutButton />
              </div>
            )}
          </header>
          <main>{children}</main>
        </Providers>
      </body>
    </html>
  );
}
