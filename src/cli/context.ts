import { loadConfig } from '../config/config.js';
import { createServices, type Services } from '../main.js';
import { createLogger } from '../shared/logger.js';
import pino from 'pino';

/** Runs a command with the wired services, logging warnings to stderr so stdout stays data. */
export async function withServices<T>(work: (services: Services) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, pino.destination(2));
  const services = await createServices(config, { logger });
  try {
    return await work(services);
  } finally {
    await services.close();
  }
}
