/**
 * Credentials as real applications print them, each with the secret part a
 * test asserts is gone and a piece of the line that must stay; and ordinary
 * lines with credential words that must come through unchanged. Shared by
 * the unit tests, the end-to-end test through the API server's pods/log
 * proxy and the bench. All values are made up.
 */

export interface CredentialLine {
  line: string;
  /** Substrings that must not survive redaction. */
  secrets: string[];
  /** A substring that must survive (the evidence stays useful). */
  kept: string;
  /** Found by secretlint's rules alone: redacted where evidence is stored, not by the sync shapes. */
  secretlintOnly?: boolean;
}

const line = (text: string, secrets: string[], kept: string, secretlintOnly = false): CredentialLine => ({ line: text, secrets, kept, ...(secretlintOnly ? { secretlintOnly } : {}) });

export const CREDENTIAL_LINES: CredentialLine[] = [
  // Connection strings of the databases robosre probes, and others.
  line('connecting to postgres://app:Pg5ecretPass@db.shop:5432/orders?sslmode=disable', ['Pg5ecretPass'], 'db.shop:5432/orders'),
  line('DATABASE_URL=postgresql://orders_rw:n0t-so-S3cret@pg-primary.shop.svc:5432/orders', ['n0t-so-S3cret'], 'pg-primary.shop.svc'),
  line('redis: dial redis://:R3disPassw0rd@cache.shop:6379/0: i/o timeout', ['R3disPassw0rd'], 'cache.shop:6379/0: i/o timeout'),
  line('cache url rediss://default:AbCdEf123456@redis-prod.cache.example.net:6380', ['AbCdEf123456'], 'redis-prod.cache.example.net'),
  line('[mysql] dsn mysql://shop:My5qlPa55@mysql.shop:3306/shop?charset=utf8mb4', ['My5qlPa55'], 'mysql.shop:3306'),
  line('mongo: mongodb+srv://reporting:M0ngoPw_x9@cluster0.ab1cd.mongodb.net/reports', ['M0ngoPw_x9'], 'cluster0.ab1cd.mongodb.net'),
  line('broker amqp://guest:RabbitPw77@rabbitmq.shop:5672/ vhost /', ['RabbitPw77'], 'rabbitmq.shop:5672'),
  line('nats: connecting to nats://orders:NatsPw_123@nats.shop:4222', ['NatsPw_123'], 'nats.shop:4222'),
  line('jdbc:postgresql://pg.shop:5432/app?user=app&password=JdbcPw2024', ['JdbcPw2024'], 'pg.shop:5432/app?user=app'),
  line('Server=sql.shop;Database=orders;User Id=sa;Password=MsSqlPw!42;Encrypt=true', ['MsSqlPw!42'], 'Encrypt=true'),
  // Headers, whatever the scheme.
  line('Authorization: Basic YWRtaW46c3VwZXJzZWNyZXQ=', ['YWRtaW46c3VwZXJzZWNyZXQ='], 'Authorization: Basic'),
  line('> GET /v1/orders HTTP/1.1 Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0', ['9f8e7d6c5b4a39281706f5e4d3c2b1a0'], 'GET /v1/orders'),
  line('proxy-authorization: Basic cHJveHk6cHJveHlwYXNzMTIz', ['cHJveHk6cHJveHlwYXNzMTIz'], 'proxy-authorization: Basic'),
  line('Authorization: Digest username="app", realm="api", nonce="dcd98b7102dd2f0e", response="6629fae49393a05397450978507c4ef1"', ['6629fae49393a05397450978507c4ef1', 'dcd98b7102dd2f0e'], 'Authorization: Digest'),
  line('Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/s3/aws4_request, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024', ['fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024'], 'AWS4-HMAC-SHA256'),
  line('{"level":"debug","headers":{"authorization":"Bearer tok_live_5f4dcc3b5aa765d61d8327deb882cf99"}}', ['tok_live_5f4dcc3b5aa765d61d8327deb882cf99'], '"level":"debug"'),
  line('curl -s -H "Authorization: Token 0123456789abcdef0123456789abcdef" https://api.internal/health', ['0123456789abcdef0123456789abcdef'], 'https://api.internal/health'),
  line('Cookie: session=8c1f2a9e7b3d4c5f6a7b8c9d0e1f2a3b; theme=dark', ['8c1f2a9e7b3d4c5f6a7b8c9d0e1f2a3b'], 'Cookie:'),
  // Tokens of known formats.
  line('{"user":"app","token":"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6ImFwcCJ9.Q6CM1qIz2WTgTlhMzpFL8jI8xbu9FFfj5DY_bGVY98Y"}', ['eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6ImFwcCJ9', 'Q6CM1qIz2WTgTlhMzpFL8jI8xbu9FFfj5DY_bGVY98Y'], '"user":"app"'),
  line('id_token issued eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL2lkcCJ9.c2lnbmF0dXJlLXBhcnQtb25l for user 42', ['eyJpc3MiOiJodHRwczovL2lkcCJ9'], 'for user 42'),
  line('slack: posting with xoxb-2048123456-4096123456789-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2', ['xoxb-2048123456-4096123456789-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2'], 'slack: posting with'),
  line('socket mode app token xapp-1-A0123456789-1234567890123-abcdef0123456789abcdef0123456789', ['abcdef0123456789abcdef0123456789'], 'socket mode app token'),
  line('webhook https://hooks.slack.com/services/T0123ABCD/B0456EFGH/abcdefghijklmnopqrstuvwx returned 404', ['abcdefghijklmnopqrstuvwx'], 'returned 404'),
  line('git clone https://x-access-token:ghs_16C7e42F292c6912E7710c838347Ae178B4a@github.com/shop/config.git', ['ghs_16C7e42F292c6912E7710c838347Ae178B4a'], 'github.com/shop/config.git'),
  line('fetching https://ghp_R2d2C3poBb8Ll9Kk7Jj6Hh5Gg4Ff3Dd2Ss1Aa0@github.com/shop/charts.git', ['ghp_R2d2C3poBb8Ll9Kk7Jj6Hh5Gg4Ff3Dd2Ss1Aa0'], 'github.com/shop/charts.git'),
  line('GITHUB_TOKEN=github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012', ['github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz'], 'GITHUB_TOKEN='),
  line('gitlab token glpat-x1Y2z3A4b5C6d7E8f9G0 rejected', ['glpat-x1Y2z3A4b5C6d7E8f9G0'], 'rejected'),
  line('telegram: GET https://api.telegram.org/bot7412589630:AAHk3Lm9Np2Qr5St8Uv1Wx4Yz7Ab0Cd3Ef6/getMe', ['AAHk3Lm9Np2Qr5St8Uv1Wx4Yz7Ab0Cd3Ef6'], 'api.telegram.org'),
  line('openai client configured with sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56', ['sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34Op56'], 'openai client configured with'),
  line('stripe: using sk_live_51HqLyjWDarjtT1zdp7dcXYZabc123', ['sk_live_51HqLyjWDarjtT1zdp7dcXYZabc123'], 'stripe: using'),
  line('maps key AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY loaded', ['AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY'], 'loaded'),
  line('//registry.npmjs.org/:_authToken=npm_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8', ['npm_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8'], 'registry.npmjs.org'),
  line('sendgrid 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 rejected', ['TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr'], 'rejected'),
  // Caught by secretlint's rules only (the evidence path), not by the sync shapes.
  line('shopify admin token shpat_0123456789abcdef0123456789abcdef in use', ['shpat_0123456789abcdef0123456789abcdef'], 'in use', true),
  line('linear: lin_api_0123456789abcdefghijABCDEFGHIJ0123456789ab unauthorized', ['lin_api_0123456789abcdefghijABCDEFGHIJ0123456789ab'], 'unauthorized', true),
  // Cloud key pairs.
  line('AWS_ACCESS_KEY_ID=AKIAZ7Q3WLX5TNCR2B4D', ['AKIAZ7Q3WLX5TNCR2B4D'], 'AWS_ACCESS_KEY_ID='),
  line('aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY', ['wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY'], 'aws_secret_access_key'),
  line('DefaultEndpointsProtocol=https;AccountName=shopstore;AccountKey=Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG8=;EndpointSuffix=core.windows.net', ['Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG8='], 'AccountName=shopstore'),
  line('{"type":"service_account","project_id":"shop-prod","private_key_id":"8d3e6f1a2b4c5d7e9f0a1b2c3d4e5f6a7b8c9d0e"}', ['8d3e6f1a2b4c5d7e9f0a1b2c3d4e5f6a7b8c9d0e'], '"project_id":"shop-prod"'),
  // Keys that name credentials: JSON, YAML, env, logfmt, query strings.
  line('{"db":{"host":"db.shop","user":"app","password":"Js0nPassw0rd"}}', ['Js0nPassw0rd'], '"host":"db.shop"'),
  line('  password: Yam1Pa55word', ['Yam1Pa55word'], 'password:'),
  line('level=info msg="loaded config" DB_PASSWORD=EnvPa55word host=db.shop', ['EnvPa55word'], 'host=db.shop'),
  line('config: {clientSecret: "0a1b2c3d-client-secret-value", clientId: "web"}', ['0a1b2c3d-client-secret-value'], 'clientId: "web"'),
  line('GET /api/v2/orders?api_key=4b9c8d7e6f5a4b3c2d1e0f9a&page=2 200 12ms', ['4b9c8d7e6f5a4b3c2d1e0f9a'], 'page=2 200 12ms'),
  line('callback https://shop.example.com/oauth/callback?code=SplxlOBeZQQYbYS6WxSbIA&state=xyz', ['SplxlOBeZQQYbYS6WxSbIA'], 'state=xyz'),
  line('presigned https://bucket.s3.amazonaws.com/f.txt?X-Amz-Credential=AKIDEXAMPLE%2F20240101&X-Amz-Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7', ['5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7'], 'bucket.s3.amazonaws.com'),
  line("settings {'refresh_token': 'rt-9f8e7d6c5b4a3928', 'scope': 'read'}", ['rt-9f8e7d6c5b4a3928'], "'scope': 'read'"),
  line('{"msg":"request","body":"{\\"password\\":\\"Esc4pedPw\\",\\"user\\":\\"app\\"}"}', ['Esc4pedPw'], '"msg":"request"'),
  line('export SECRET_KEY_BASE=8f14e45fceea167a5a36dedd4bea2543', ['8f14e45fceea167a5a36dedd4bea2543'], 'export SECRET_KEY_BASE='),
  line('x-api-key: 7c4a8d09ca3762af61e59520943dc26494f8941b', ['7c4a8d09ca3762af61e59520943dc26494f8941b'], 'x-api-key:'),
];

/** A private key printed by an application that logs its config: five lines, masked as one. */
export const PEM_LINES = [
  'loading TLS key:',
  '-----BEGIN RSA PRIVATE KEY-----',
  'MIIEowIBAAKCAQEAvZl3q0N1CqZ0hHh7fS0yQ2e5s8WmV1pQ3bR9tL6kJ2nX4cY7',
  'Yv8uT3rE2wQ1aZ0xS9dC8fV7gB6hN5jM4kL3pO2iU1yT0rE9wQ8aZ7xS6dC5fV4g',
  'B3hN2jM1kL0pO9iU8yT7rE6wQ5aZ4xS3dC2fV1gB0hN9jM8kL7pO6iU5yT4rE3wQ',
  '-----END RSA PRIVATE KEY-----',
];
export const PEM_SECRETS = ['MIIEowIBAAKCAQEAvZl3q0N1CqZ0hHh7fS0yQ2e5s8WmV1pQ3bR9tL6kJ2nX4cY7', 'B3hN2jM1kL0pO9iU8yT7rE6wQ5aZ4xS3dC2fV1gB0hN9jM8kL7pO6iU5yT4rE3wQ'];

export const ORDINARY_LINES: string[] = [
  'pq: password authentication failed for user "app"',
  'FATAL:  password authentication failed for user "orders_rw"',
  'token expired, refreshing',
  'error: invalid api key',
  'invalid token: signature mismatch',
  'the access token has expired; sign in again',
  'Secret "db-credentials" not found',
  'MountVolume.SetUp failed for volume "tls" : secret "web-tls" not found',
  'password reset email sent to user 42',
  'authorization failed: user "system:serviceaccount:shop:web" cannot list pods',
  'Basic authentication required for /admin',
  'Bearer token missing from request',
  'dial tcp 10.0.3.7:5432: connect: connection refused',
  'redis: connection pool exhausted (size 10)',
  'loaded 3 secrets from /var/run/secrets/app',
  'password_file: /run/secrets/db-password',
  'retrying in 5s (attempt 3 of 10)',
  'panic: runtime error: invalid memory address or nil pointer dereference',
  'GET /healthz 200 1ms',
  'api key rotation scheduled for 2024-07-01',
  'ssh://git@github.com/shop/config.git fetched',
  'max_tokens=256 temperature=0.2',
  'image sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945 pulled',
  'secretName: web-tls',
  'a valid "Authorization: Bearer <token>" header is required',
  'set DB_PASSWORD=${DB_PASSWORD} in the deployment',
];
