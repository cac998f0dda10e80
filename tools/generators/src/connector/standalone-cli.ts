import { generateStandaloneConnector, StandaloneOptions } from './standalone';

// npm run generate:connector:standalone -- --name=acme --channel=email --out=../acme-connector --sdk=../audiencekit-connector-sdk-0.1.0.tgz [--package=@acme/audiencekit-acme]
const args = new Map(
  process.argv.slice(2).map((arg) => {
    const [key, ...value] = arg.replace(/^--/, '').split('=');
    return [key, value.join('=')] as const;
  }),
);
try {
  const options = {
    name: args.get('name') ?? '',
    channel: args.get('channel'),
    deliveryModel: args.get('deliveryModel'),
    out: args.get('out') ?? '',
    packageName: args.get('package'),
    sdk: args.get('sdk') ?? '',
  } as StandaloneOptions;
  const files = generateStandaloneConnector(options);
  console.log(`created ${options.out}:\n${files.map((file) => `  ${file}`).join('\n')}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
