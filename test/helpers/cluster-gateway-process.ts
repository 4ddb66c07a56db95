// A cluster gateway in its own process (for kill -9 tests): options as JSON in argv[2]; prints its URLs as one JSON line.
import { startClusterGateway, type ClusterGatewayOptions } from './cluster.js';

const options = JSON.parse(process.argv[2] ?? '{}') as ClusterGatewayOptions;
const gw = await startClusterGateway(options);
process.stdout.write(`${JSON.stringify({ wsUrl: gw.wsUrl, metricsUrl: gw.metricsUrl })}\n`);
process.on('SIGTERM', () => {
  void gw.close().then(() => process.exit(0));
});
