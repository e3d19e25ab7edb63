// Times as the console shows them: in UTC, to the minute or to the second ("2026-11-29 08:50 UTC").

export const utcMinute = (d: Date | string) => `${new Date(d).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

export const utcSecond = (d: Date | string) => `${new Date(d).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
