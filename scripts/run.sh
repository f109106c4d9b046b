#!/usr/bin/env bash
# `make run`: builds everything and starts Roombook with a simulated Microsoft tenant beside it
# (the Exchange simulator: Exchange, Entra ID sign-in and Key Vault on 127.0.0.1:7070/7443), so
# the demo organisation is connected to "Exchange" through the same onboarding an admin uses,
# and you can sign in as any of its people. SQLite in data/roombook.db, secrets in data/secrets.
# Roombook listens at http://127.0.0.1:3000/ unless ROOMBOOK_SERVER__LISTEN says otherwise.
# Set ROOMBOOK_DEMO_SIMULATOR=0 to start Roombook alone (e.g. with your own roombook.toml).
source "$(dirname "$0")/lib.sh"
ensure_build_packages
"$ROOT/scripts/build-site.sh"
LISTEN="${ROOMBOOK_SERVER__LISTEN:-127.0.0.1:3000}"
if [ "${ROOMBOOK_DEMO_SIMULATOR:-1}" = 0 ]; then
  step "Building the server (release)"
  cargo build --release -p roombook-server
  step "Starting Roombook (Ctrl-C stops it)"
  exec target/release/roombook --site-root target/site "$@"
fi

step "Building the server and the Exchange simulator (release)"
cargo build --release -p roombook-server -p roombook-simulator

# The demo app's certificate: Roombook signs its token requests with it, the simulated
# Entra ID knows its public half. Made once.
mkdir -p data
if [ ! -s data/demo-app.pem ]; then
  step "Creating the demo app's certificate (data/demo-app.pem)"
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=Roombook demo app" \
    -keyout data/demo-app.key -out data/demo-app.crt 2>/dev/null
  cat data/demo-app.crt data/demo-app.key > data/demo-app.pem
  chmod 600 data/demo-app.pem data/demo-app.key
fi

SIM=http://127.0.0.1:7070
step "Starting the Exchange simulator on $SIM"
target/release/roombook-simulator --port 7070 --https-port 7443 \
  --redirect-uri "http://$LISTEN/auth/callback" \
  --redirect-uri "http://$LISTEN/admin/consent/callback" \
  --app-cert data/demo-app.crt --ca-out data/simulator-ca.pem > data/simulator.log 2>&1 &
SIM_PID=$!
trap 'kill $SIM_PID 2>/dev/null' EXIT
for _ in $(seq 1 100); do
  curl -fs -o /dev/null "$SIM/organizations/v2.0/.well-known/openid-configuration" && break
  kill -0 $SIM_PID 2>/dev/null || die "the simulator did not start; see data/simulator.log"
  sleep 0.2
done

# The demo organisation: the simulator's directory signs in to it, and it is connected with
# the simulator's service account at start-up (the admin's "Exchange Server" path).
export ROOMBOOK_AUTH__ISSUER="$SIM/organizations/v2.0"
export ROOMBOOK_EXCHANGE_ONLINE__CLIENT_ID=5e3ce6c0-2b1f-4285-8d4b-75ee78787346
export ROOMBOOK_EXCHANGE_ONLINE__AUTHORITY="$SIM"
export ROOMBOOK_EXCHANGE_ONLINE__EWS_URL="$SIM/EWS/Exchange.asmx"
export ROOMBOOK_EXCHANGE_ONLINE__CERTIFICATE_FILE=data/demo-app.pem
export ROOMBOOK_EXCHANGE__ALLOW_PRIVATE_ADDRESSES=true
export ROOMBOOK_DEMO__ENABLED=true
export ROOMBOOK_DEMO__EXCHANGE__EWS_URL="$SIM/EWS/Exchange.asmx"
export ROOMBOOK_DEMO__EXCHANGE__USERNAME=svc-roombook@contoso.example
export ROOMBOOK_DEMO__EXCHANGE__PASSWORD=demo-password
export ROOMBOOK_DEMO__EXCHANGE__CHECK_ADDRESS=ada.okafor@contoso.example
export ROOMBOOK_DEMO__EXCHANGE__DIRECTORY_ID=72f988bf-86f1-41af-91ab-2d7cd011db47
# The demo organisation's first admin, approved by the operator (arriving first proves
# nothing): Ada signs in as its admin, everyone else as an employee.
export ROOMBOOK_AUTH__FIRST_ADMINS='["ada.okafor@contoso.example"]'
step "Starting Roombook (Ctrl-C stops both)"
target/release/roombook --site-root target/site "$@"
