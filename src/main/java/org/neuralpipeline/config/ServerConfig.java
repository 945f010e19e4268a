package org.neuralpipeline.config;

/**
 * Where {@code serve} listens.
 *
 * @param host address to bind; loopback by default so that nothing is exposed by accident
 * @param port TCP port, 0 for any free port (tests)
 */
public record ServerConfig(String host, int port) {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8765;
    public static final ServerConfig DEFAULTS = new ServerConfig(DEFAULT_HOST, DEFAULT_PORT);

    static final String HOST_EXPECTED = "a host name or IP address";
    static final String PORT_EXPECTED = "0-65535";

    public ServerConfig {
        if (host == null || host.isBlank()) {
            throw new ConfigException("server.host", host, HOST_EXPECTED);
        }
        if (port < 0 || port > 65_535) {
            throw new ConfigException("server.port", port, PORT_EXPECTED);
        }
    }
}
