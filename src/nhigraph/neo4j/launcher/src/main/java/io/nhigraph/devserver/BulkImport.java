package io.nhigraph.devserver;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.neo4j.cli.AdminTool;
import org.neo4j.cli.ExecutionContext;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.graphdb.config.Setting;
import org.neo4j.io.fs.DefaultFileSystemAbstraction;

/**
 * Bulk import into the dev server's empty default database with Neo4j's offline importer
 * ({@code neo4j-admin database import full}), run inside the server's own process.
 *
 * <p>A client (nhigraph's {@code neo4j push --bulk}) writes the import files into a directory
 * {@code HOME/bulk/NAME/}, then {@code args} there (one importer option per line: {@code --nodes=},
 * {@code --relationships=}, {@code --array-delimiter=}, {@code --multiline-fields=},
 * {@code --max-off-heap-memory=}, {@code --threads=}; every file named must be inside that directory), and
 * last an empty {@code request} file. The watcher thread picks the request up, and if the database holds no
 * node (nhigraph's {@code NhigraphMeta} bookkeeping aside) it shuts the database down, imports, and opens it again on the same port; Bolt clients see the
 * server go away for the import and come back. Progress and outcome are written to {@code status} in that
 * directory (replaced atomically): {@code RUNNING}, then {@code DONE total shutdown import reopen} (seconds) or
 * {@code FAILED message}; the
 * importer's own output goes to {@code import.log}.
 *
 * <p>If the process dies mid-import the store is half-written; it held nothing before, so the next start
 * deletes it ({@link #recoverInterrupted}) and the database comes up empty.
 */
final class BulkImport {
    private static final String MARKER = "IMPORTING";
    private static final List<String> ALLOWED = List.of("--nodes=", "--relationships=", "--array-delimiter=",
            "--multiline-fields=", "--multiline-fields-format=", "--max-off-heap-memory=", "--threads=");

    private BulkImport() {}

    /** Start the daemon thread that serves requests under {@code HOME/bulk}. */
    static void watch(Path home, Map<Setting<?>, Object> config, int port, String host) {
        Map<Setting<?>, Object> reopen = new HashMap<>(config);
        reopen.put(BoltConnector.listen_address, new SocketAddress(host, port));
        reopen.put(BoltConnector.advertised_address, new SocketAddress(host, port));
        Path root = home.resolve("bulk");
        Thread t = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(200);
                    if (DevServer.service() == null) {
                        continue;
                    }
                    for (Path request : requests(root)) {
                        serve(home, request.getParent(), reopen, port, host);
                    }
                } catch (InterruptedException e) {
                    return;
                } catch (Throwable e) {
                    System.err.println("devserver: bulk import watcher: " + e);
                }
            }
        }, "devserver-bulk-import");
        t.setDaemon(true);
        t.start();
    }

    /** A store left half-imported by a process that died mid-import is deleted (it was empty before). */
    static void recoverInterrupted(Path home) throws IOException {
        Path marker = home.resolve("bulk").resolve(MARKER);
        if (Files.exists(marker)) {
            System.err.println("devserver: a bulk import was interrupted; the default database starts empty again");
            deleteStore(home);
            Files.delete(marker);
        }
    }

    private static List<Path> requests(Path root) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path d : dirs) {
                if (Files.exists(d.resolve("request"))) {
                    out.add(d.resolve("request"));
                }
            }
        }
        out.sort(Comparator.naturalOrder());
        return out;
    }

    private static void serve(Path home, Path dir, Map<Setting<?>, Object> config, int port, String host)
            throws IOException {
        Files.move(dir.resolve("request"), dir.resolve("request.taken"), StandardCopyOption.REPLACE_EXISTING);
        long t0 = System.nanoTime();
        try {
            List<String> args = arguments(dir);
            long nodes = nodeCount();
            if (nodes != 0) {
                throw new IllegalStateException("the database is not empty (" + nodes + " nodes); bulk import "
                        + "only loads an empty database");
            }
            status(dir, "RUNNING");
            Path marker = home.resolve("bulk").resolve(MARKER);
            int[] code = {0};
            long[] marks = new long[3]; // database down, importer done, database back
            boolean swapped = DevServer.swap(() -> {
                marks[0] = System.nanoTime();
                Files.writeString(marker, dir.getFileName().toString());
                code[0] = runImporter(home, dir, args);
                if (code[0] != 0) {
                    deleteStore(home); // half-written; it held nothing before
                }
                Files.deleteIfExists(marker);
                marks[1] = System.nanoTime();
            }, () -> {
                DatabaseManagementService next = DevServer.open(home, config, port, host);
                DevServer.awaitDefault(next, home);
                marks[2] = System.nanoTime();
                return next;
            });
            if (!swapped) {
                throw new IllegalStateException("the server is stopping");
            }
            if (code[0] != 0) {
                throw new IllegalStateException("the importer failed (exit " + code[0] + "); see "
                        + dir.resolve("import.log") + "; the database is empty again");
            }
            status(dir, String.format("DONE %.3f %.3f %.3f %.3f", (marks[2] - t0) / 1e9, (marks[0] - t0) / 1e9,
                    (marks[1] - marks[0]) / 1e9, (marks[2] - marks[1]) / 1e9));
            System.err.printf("devserver: bulk import %s done in %.1fs%n", dir.getFileName(), (System.nanoTime() - t0) / 1e9);
        } catch (Throwable e) {
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            status(dir, "FAILED " + msg.replace('\n', ' '));
            System.err.println("devserver: bulk import " + dir.getFileName() + " failed: " + msg);
        }
    }

    /** The importer options of a request, each checked: only the allowed options, files only inside dir. */
    private static List<String> arguments(Path dir) throws IOException {
        List<String> out = new ArrayList<>();
        Path base = dir.toRealPath();
        for (String line : Files.readAllLines(dir.resolve("args"), StandardCharsets.UTF_8)) {
            if (line.isBlank()) {
                continue;
            }
            String option = ALLOWED.stream().filter(line::startsWith).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("option not allowed in a bulk import: " + line));
            if (option.equals("--nodes=") || option.equals("--relationships=")) {
                String value = line.substring(option.length());
                String files = value.contains("=") ? value.substring(value.indexOf('=') + 1) : value;
                for (String f : files.split(",")) {
                    Path p = base.resolve(f).normalize();
                    if (!p.startsWith(base) || !Files.isRegularFile(p)) {
                        throw new IllegalArgumentException("import file outside the request folder or missing: " + f);
                    }
                }
            }
            out.add(line);
        }
        return out;
    }

    private static long nodeCount() {
        DatabaseManagementService dbms = DevServer.service();
        if (dbms == null) {
            throw new IllegalStateException("the server is stopping");
        }
        return dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally(
                // nhigraph's bookkeeping nodes (the push lease) do not count: the import replaces them too
                "MATCH (n) WHERE NOT n:NhigraphMeta RETURN count(n) AS n", Map.of(), r -> (Long) r.next().get("n"));
    }

    private static int runImporter(Path home, Path dir, List<String> options) throws IOException {
        Path conf = dir.resolve("conf");
        Files.createDirectories(conf);
        List<String> argv = new ArrayList<>(List.of("database", "import", "full",
                GraphDatabaseSettings.DEFAULT_DATABASE_NAME, "--overwrite-destination=true",
                "--report-file=" + dir.resolve("import.report")));
        argv.addAll(options);
        try (OutputStream log = Files.newOutputStream(dir.resolve("import.log"));
             PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
             DefaultFileSystemAbstraction fs = new DefaultFileSystemAbstraction()) {
            // relative file names are resolved against the request folder
            List<String> resolved = new ArrayList<>();
            for (String a : argv) {
                resolved.add(absolute(a, dir));
            }
            ExecutionContext ctx = new ExecutionContext(home, conf, out, out, fs);
            return AdminTool.execute(ctx, resolved.toArray(new String[0]));
        }
    }

    private static String absolute(String arg, Path dir) {
        String multiline = "--multiline-fields=";
        if (arg.startsWith(multiline) && !arg.equals(multiline + "true") && !arg.equals(multiline + "false")) {
            List<String> abs = new ArrayList<>();
            for (String f : arg.substring(multiline.length()).split(",")) {
                abs.add(dir.resolve(f).toAbsolutePath().normalize().toString());
            }
            return multiline + String.join(",", abs);
        }
        for (String option : List.of("--nodes=", "--relationships=")) {
            if (arg.startsWith(option)) {
                String value = arg.substring(option.length());
                int eq = value.indexOf('=');
                String head = eq >= 0 ? value.substring(0, eq + 1) : "";
                String files = eq >= 0 ? value.substring(eq + 1) : value;
                List<String> abs = new ArrayList<>();
                for (String f : files.split(",")) {
                    abs.add(dir.resolve(f).toAbsolutePath().normalize().toString());
                }
                return option + head + String.join(",", abs);
            }
        }
        return arg;
    }

    /** Delete the default database's store and transaction logs (a bulk import's target). */
    private static void deleteStore(Path home) throws IOException {
        for (Path p : List.of(home.resolve("data/databases/neo4j"), home.resolve("data/transactions/neo4j"))) {
            if (Files.exists(p)) {
                try (Stream<Path> walk = Files.walk(p)) {
                    for (Path f : walk.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(f);
                    }
                }
            }
        }
    }

    private static void status(Path dir, String line) throws IOException {
        Path tmp = dir.resolve("status.tmp");
        Files.writeString(tmp, line + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve("status"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
