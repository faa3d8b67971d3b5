// The engine's HTTP API as the dashboard reads it. The access token lives in this module's memory only.

export interface StoreChoice {
  storeCode: string;
  currency: string;
}

export interface ProjectionState {
  name: string;
  checkpoint: number;
  head: number;
  lagEvents: number;
  lagSeconds: number;
  lastUpdateAt: string | null;
  running: boolean;
  failing: boolean;
}

export interface Transfer {
  pointsTransferId: string;
  customerId: string;
  customerEmail?: string;
  customerFirstName?: string;
  customerLastName?: string;
  createdAt: string;
  expiresAt?: string;
  value: number;
  state: string;
  type: string;
  comment?: string;
}

export interface Customer {
  customerId: string;
  customerNumber?: string;
  email?: string;
  phone?: string;
  firstName?: string;
  lastName?: string;
  loyaltyCardNumber?: string;
}

export interface PointsSummary {
  active: number;
  pending: number;
  blocked: number;
  earned: number;
  spent: number;
  expired: number;
  expiringIn30Days: number;
  lastChangeAt: string | null;
}

export interface HistoryEntry {
  transferId: string;
  kind: string;
  transferType?: string;
  points: number;
  at: string;
  comment?: string;
  balance: { available: number };
}

export type HistogramQuery = { pointType: string; interval: string; lastDays: number; futureDays: number };
export type TransferFilters = Record<string, string | string[]>;
export type CustomerKey = 'email' | 'phone' | 'customerNumber';

/** A refusal of the API, with the message a person can act on. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** the token was refused (expired or revoked): the page must sign in again */
    readonly sessionEnded = false,
  ) {
    super(message);
  }
}

function refusalMessage(status: number, body: unknown): string {
  const problem = (body ?? {}) as { message?: unknown; error_description?: unknown; errors?: { field: string; message: string }[] };
  const fields = Array.isArray(problem.errors) ? problem.errors.map((e) => `${e.field}: ${e.message}`).join('; ') : '';
  const message = typeof problem.error_description === 'string' ? problem.error_description : typeof problem.message === 'string' ? problem.message : `HTTP ${status}`;
  return fields && !message.includes(fields) ? `${message} (${fields})` : message;
}

function query(params: Record<string, string | number | string[] | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === '') continue;
    if (Array.isArray(value)) value.forEach((item) => search.append(`${name}[]`, item));
    else search.append(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

const path = (...segments: string[]) => segments.map(encodeURIComponent).join('/');

export class EngineApi {
  private token: string | undefined;

  get signedIn(): boolean {
    return this.token !== undefined;
  }

  async signIn(clientId: string, clientSecret: string): Promise<void> {
    const response = await fetch('/api/oauth/token', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }),
      credentials: 'omit',
      cache: 'no-store',
    });
    const body = (await response.json().catch(() => undefined)) as { access_token?: string } | undefined;
    if (!response.ok || typeof body?.access_token !== 'string') throw new ApiError(response.status, refusalMessage(response.status, body));
    this.token = body.access_token;
  }

  signOut(): void {
    this.token = undefined;
  }

  stores(): Promise<{ stores: StoreChoice[]; defaultStore: string | null }> {
    return this.get('/api/ops/stores');
  }

  projections(): Promise<{ projections: ProjectionState[] }> {
    return this.get('/api/ops/projections');
  }

  histogram(store: string, q: HistogramQuery): Promise<Record<string, number>> {
    return this.get(`/api/${path(store)}/points/transfers${query(q)}`);
  }

  transfers(store: string, filters: TransferFilters, page: number, perPage: number): Promise<{ transfers: Transfer[]; total: number }> {
    return this.get(`/api/${path(store)}/points/transfer${query({ ...filters, page, perPage })}`);
  }

  findCustomer(store: string, by: CustomerKey, value: string): Promise<{ customers: Customer[] }> {
    return this.get(`/api/${path(store)}/customers${query({ [by]: value })}`);
  }

  summary(store: string, customerId: string): Promise<PointsSummary> {
    return this.get(`/api/${path(store, 'customers', customerId, 'points')}`);
  }

  history(store: string, customerId: string): Promise<{ entries: HistoryEntry[] }> {
    return this.get(`/api/${path(store, 'accounts', customerId, 'history')}`);
  }

  private async get<T>(url: string): Promise<T> {
    if (!this.token) throw new ApiError(401, 'sign in first');
    const response = await fetch(url, { headers: { Authorization: `Bearer ${this.token}`, Accept: 'application/json' }, credentials: 'omit', cache: 'no-store' });
    const body = (await response.json().catch(() => undefined)) as unknown;
    if (!response.ok) {
      if (response.status === 401) this.token = undefined;
      throw new ApiError(response.status, refusalMessage(response.status, body), response.status === 401);
    }
    return body as T;
  }
}
