import { runHashPassword } from './hash-password';

void runHashPassword(process.argv.slice(2), process).then((code) => { process.exitCode = code; });
