package io.nhigraph.devserver;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.config.Setting;
import org.neo4j.internal.helpers.HostnamePort;
import org.neo4j.io.ByteUnit;
import org.neo4j.kernel.internal.GraphDatabaseAPI;

/**
 * Embedded Neo4j Community server with the Bolt connector enabled: nhigraph's development and test server.
 *
 * <pre>
 * java -cp 'nhigraph-devserver.jar:lib/*' io.nhigraph.devserver.DevServer --home DIR [--port 7687]
 *      [--host 127.0.0.1] [--password-env VAR] [--pagecache 512m] [--tx-memory-max SIZE] [--no-stdin-watch]
 * </pre>
 *
 * <p>Stdout carries exactly one line, {@code READY bolt://HOST:PORT}, once the default database is available;
 * everything else goes to stderr or to the Neo4j logs under {@code HOME/logs}. The server stops cleanly on
 * SIGTERM/SIGINT and, unless {@code --no-stdin-watch} is given, when its stdin reaches EOF.
 *
 * <p>Exit codes: 0 clean stop, 1 startup failure, 2 usage error, 3 home already in use, 4 port in use.
 */
public final class DevServer {
    static final int EXIT_FAILURE = 1;
    static final int EXIT_USAGE = 2;
    static final int EXIT_LOCKED = 3;
    static final int EXIT_PORT_IN_USE = 4;

    private static final String USAGE = "usage: DevServer --home DIR [--port N] [--host ADDR] [--password-env VAR]"
            + " [--pagecache SIZE] [--tx-memory-max SIZE] [--no-stdin-watch]";

    /** Kept reachable for the life of the JVM so the home lock is never released early. */
    private static FileChannel lockChannel;
    private static FileLock homeLock;

    private static final Object STATE = new Object();
    private static DatabaseManagementService service;
    private static boolean stopping;
    private static final CountDownLatch STOPPED = new CountDownLatch(1);

    private DevServer() {}

    static final class Options {
        Path home;
        int port = 7687;
        String host = "127.0.0.1";
        String passwordEnv;
        String pagecache = "512m";
        String txMemoryMax;
        boolean stdinWatch = true;
    }

    static final class UsageException extends Exception {
        UsageException(String message) {
            super(message);
        }
    }

    static final class Failure extends Exception {
        final int code;

        Failure(int code, String message) {
            super(message);
            this.code = code;
        }
    }

    public static void main(String[] args) {
        // Stdout is reserved for the READY line: anything else printing to System.out goes to stderr.
        PrintStream protocolOut = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        try {
            run(parse(args), protocolOut);
        } catch (UsageException e) {
            System.err.println("devserver: error: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(EXIT_USAGE);
        } catch (Failure e) {
            System.err.println("devserver: error: " + e.getMessage());
            System.exit(e.code);
        } catch (Throwable t) {
            System.err.println("devserver: error: unexpected failure: " + t);
            t.printStackTrace(System.err);
            System.exit(EXIT_FAILURE);
        }
    }

    static Options parse(String[] args) throws UsageException {
        Options o = new Options();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--home" -> o.home = Path.of(value(args, ++i, a));
                case "--port" -> o.port = parsePort(value(args, ++i, a));
                case "--host" -> o.host = value(args, ++i, a);
                case "--password-env" -> o.passwordEnv = value(args, ++i, a);
                case "--pagecache" -> o.pagecache = value(args, ++i, a);
                case "--tx-memory-max" -> o.txMemoryMax = value(args, ++i, a);
                case "--no-stdin-watch" -> o.stdinWatch = false;
                case "-h", "--help" -> {
                    System.err.println(USAGE);
                    System.exit(0);
                }
                default -> throw new UsageException("unknown argument: " + a);
            }
        }
        if (o.home == null) {
            throw new UsageException("--home is required");
        }
        if (o.passwordEnv != null && o.passwordEnv.isEmpty()) {
            throw new UsageException("--password-env needs a variable name");
        }
        return o;
    }

    private static String value(String[] args, int i, String flag) throws UsageException {
        if (i >= args.length) {
            throw new UsageException(flag + " needs a value");
        }
        return args[i];
    }

    private static int parsePort(String s) throws UsageException {
        try {
            int p = Integer.parseInt(s);
            if (p < 0 || p > 65535) {
                throw new NumberFormatException();
            }
            return p;
        } catch (NumberFormatException e) {
            throw new UsageException("invalid port: " + s);
        }
    }

    private static long parseBytes(String flag, String s) throws UsageException {
        try {
            return ByteUnit.parse(s);
        } catch (RuntimeException e) {
            throw new UsageException("invalid size for " + flag + ": " + s);
        }
    }

    static void run(Options o, PrintStream protocolOut) throws Exception {
        InetAddress address;
        try {
            address = InetAddress.getByName(o.host);
        } catch (UnknownHostException e) {
            throw new UsageException("cannot resolve host: " + o.host);
        }
        if (!address.isLoopbackAddress()) {
            throw new UsageException("refusing to listen on non-loopback address " + o.host
                    + " (" + address.getHostAddress() + "); the dev server is loopback-only");
        }
        long pagecache = parseBytes("--pagecache", o.pagecache);
        String password = null;
        if (o.passwordEnv != null) {
            password = System.getenv(o.passwordEnv);
            if (password == null || password.isEmpty()) {
                throw new UsageException("environment variable " + o.passwordEnv + " (from --password-env) is unset or empty");
            }
        }
        // Sensible transaction memory limits relative to the heap: one runaway query fails with a
        // memory-limit error instead of taking the JVM down with an OutOfMemoryError.
        long heap = Runtime.getRuntime().maxMemory();
        long txTotal = heap / 10 * 7;
        long txMax = o.txMemoryMax != null ? parseBytes("--tx-memory-max", o.txMemoryMax) : heap / 2;
        if (txMax > txTotal) {
            txTotal = 0; // unlimited globally, the per-transaction limit still applies
        }

        Path home = o.home.toAbsolutePath().normalize();
        try {
            Files.createDirectories(home);
        } catch (IOException e) {
            throw new Failure(EXIT_FAILURE, "cannot create home directory " + home + ": " + e);
        }
        lockHome(home);
        checkPortFree(address, o.port);

        if (o.stdinWatch) {
            startStdinWatcher();
        }
        Runtime.getRuntime().addShutdownHook(new Thread(DevServer::shutdown, "devserver-shutdown"));

        Map<Setting<?>, Object> config = new HashMap<>();
        config.put(BoltConnector.enabled, true);
        config.put(BoltConnector.listen_address, new SocketAddress(o.host, o.port));
        config.put(BoltConnector.advertised_address, new SocketAddress(o.host, o.port));
        config.put(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED);
        config.put(GraphDatabaseSettings.default_listen_address, new SocketAddress(o.host));
        config.put(GraphDatabaseSettings.auth_enabled, password != null);
        config.put(GraphDatabaseSettings.auth_minimum_password_length, 1);
        config.put(GraphDatabaseSettings.pagecache_memory, pagecache);
        config.put(GraphDatabaseSettings.memory_transaction_global_max_size, txTotal);
        config.put(GraphDatabaseSettings.memory_transaction_max_size, txMax);
        config.put(GraphDatabaseSettings.udc_enabled, false);
        config.put(BoltConnector.server_bolt_telemetry_enabled, false);
        // Defaults wait 5s per Bolt connector (there are two: bolt and bolt-local) on shutdown.
        config.put(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1));
        config.put(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1));
        config.put(GraphDatabaseSettings.logs_directory, home.resolve("logs"));
        // A dev server needs no history of transaction logs: keep only what recovery needs.
        config.put(GraphDatabaseSettings.keep_logical_logs, "false");

        long t0 = System.nanoTime();
        BulkImport.recoverInterrupted(home);
        DatabaseManagementService dbms = open(home, config, o.port, o.host);
        synchronized (STATE) {
            service = dbms;
            if (stopping) {
                return; // a stop request arrived while starting; the shutdown hook finishes the job
            }
        }

        GraphDatabaseService db = awaitDefault(dbms, home);
        if (password != null) {
            setPassword(dbms, password);
        }
        int port = boundPort(db, o.port);
        String host = address instanceof java.net.Inet6Address ? "[" + o.host + "]" : o.host;
        System.err.printf("devserver: Neo4j %s started in %.1fs, home %s%n",
                org.neo4j.kernel.internal.Version.getNeo4jVersion(), (System.nanoTime() - t0) / 1e9, home);
        protocolOut.println("READY bolt://" + host + ":" + port);
        protocolOut.flush();

        // Bulk imports into the empty database (nhigraph neo4j push --bulk) are requested through files
        // under HOME/bulk; the watcher restarts the database around the import, in this process and on the
        // same port, so the server's pid, port and stdin stay the same.
        BulkImport.watch(home, config, port, o.host);
        STOPPED.await();
    }

    /** Build the DBMS for {@code home}, mapping the usual failures to exit codes. */
    static DatabaseManagementService open(Path home, Map<Setting<?>, Object> config, int port, String host)
            throws Failure {
        try {
            return new DatabaseManagementServiceBuilder(home).setConfig(config).build();
        } catch (Throwable t) {
            if (hasCause(t, BindException.class) || String.valueOf(t.getMessage()).contains("Address already in use")) {
                throw new Failure(EXIT_PORT_IN_USE, "port " + port + " on " + host + " is already in use");
            }
            if (hasMessage(t, "lock")) {
                throw new Failure(EXIT_LOCKED, "Neo4j store under " + home + " is locked by another process: " + rootMessage(t));
            }
            throw new Failure(EXIT_FAILURE, "Neo4j failed to start: " + rootMessage(t) + " (see " + home.resolve("logs") + ")");
        }
    }

    /** Wait (up to five minutes) until the default database is available, and return it. */
    static GraphDatabaseService awaitDefault(DatabaseManagementService dbms, Path home) throws Failure {
        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (!db.isAvailable(Duration.ofSeconds(1).toMillis())) {
            if (System.nanoTime() > deadline) {
                throw new Failure(EXIT_FAILURE, "default database did not become available (see " + home.resolve("logs") + ")");
            }
        }
        return db;
    }

    /**
     * Take the running DBMS out of service for {@code work} (a bulk import into its store), then put
     * {@code replacement.get()} in its place. Returns false, doing nothing, if the server is stopping.
     */
    static boolean swap(ThrowingRunnable work, DbmsFactory replacement) throws Exception {
        DatabaseManagementService old;
        synchronized (STATE) {
            if (stopping || service == null) {
                return false;
            }
            old = service;
            service = null;
        }
        try {
            old.shutdown();
            work.run();
        } finally {
            DatabaseManagementService next = replacement.open();
            synchronized (STATE) {
                service = next;
                if (stopping) {
                    next.shutdown();
                }
            }
        }
        return true;
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    interface DbmsFactory {
        DatabaseManagementService open() throws Exception;
    }

    /** The running DBMS, or null while it is being replaced or after a stop. */
    static DatabaseManagementService service() {
        synchronized (STATE) {
            return stopping ? null : service;
        }
    }

    private static void lockHome(Path home) throws Failure {
        Path lockFile = home.resolve("devserver.lock");
        try {
            lockChannel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            homeLock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            homeLock = null;
        } catch (IOException e) {
            throw new Failure(EXIT_FAILURE, "cannot open lock file " + lockFile + ": " + e);
        }
        if (homeLock == null) {
            throw new Failure(EXIT_LOCKED, "another dev server is already running on home " + home
                    + " (" + lockFile + " is locked)");
        }
    }

    private static void checkPortFree(InetAddress address, int port) throws Failure {
        if (port == 0) {
            return;
        }
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(address, port));
        } catch (IOException e) {
            throw new Failure(EXIT_PORT_IN_USE, "port " + port + " on " + address.getHostAddress()
                    + " is already in use (" + e.getMessage() + ")");
        }
    }

    private static int boundPort(GraphDatabaseService db, int requested) {
        try {
            ConnectorPortRegister ports = ((GraphDatabaseAPI) db).getDependencyResolver()
                    .resolveDependency(ConnectorPortRegister.class);
            HostnamePort hp = ports.getLocalAddress(ConnectorType.BOLT);
            if (hp != null && hp.getPort() > 0) {
                return hp.getPort();
            }
        } catch (RuntimeException e) {
            // fall through
        }
        return requested;
    }

    private static void setPassword(DatabaseManagementService dbms, String password) throws Failure {
        try {
            dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        } catch (RuntimeException e) {
            // Restarting with the password already set is fine.
            if (!hasMessage(e, "cannot be the same")) {
                // Never include the password; Neo4j's messages do not contain it.
                throw new Failure(EXIT_FAILURE, "could not set the password of user neo4j: " + rootMessage(e));
            }
        }
    }

    private static void startStdinWatcher() {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[256];
            try {
                InputStream in = System.in;
                while (in.read(buf) >= 0) {
                    // ignore input; only EOF matters
                }
            } catch (IOException e) {
                // treat a broken stdin like EOF
            }
            System.err.println("devserver: stdin closed, shutting down");
            System.exit(0);
        }, "devserver-stdin-watch");
        t.setDaemon(true);
        t.start();
    }

    private static void shutdown() {
        DatabaseManagementService dbms;
        synchronized (STATE) {
            if (stopping) {
                return;
            }
            stopping = true;
            dbms = service;
        }
        try {
            if (dbms != null) {
                System.err.println("devserver: shutting down Neo4j");
                dbms.shutdown();
                System.err.println("devserver: stopped");
            }
        } catch (Throwable t) {
            System.err.println("devserver: error during shutdown: " + t);
        } finally {
            STOPPED.countDown();
            try {
                if (homeLock != null) {
                    homeLock.release();
                }
                if (lockChannel != null) {
                    lockChannel.close();
                }
            } catch (IOException e) {
                // the process is exiting anyway
            }
        }
    }

    static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }

    static boolean hasMessage(Throwable t, String fragment) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c.getMessage() != null && c.getMessage().toLowerCase().contains(fragment.toLowerCase())) {
                return true;
            }
        }
        return false;
    }

    static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = root.getMessage();
        return root.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
