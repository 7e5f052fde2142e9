import GRDB

/// The node's one database, shared by the components that keep tables in it (the catalog's
/// own, and Replication's, Protection's and Continuity's beside it). Each component's store
/// applies its migrations here, under the names they had when the catalog made them, so
/// that a database which has a migration already is left as it is.
public enum SharedDatabase {
    /// Runs the migrations not yet applied to `pool`, in order; each is SQL only. When all are
    /// applied already it only reads: migrating takes a barrier on the pool (no read may run
    /// meanwhile), and a store opened while the node is busy must not wait for every read.
    public static func migrate(_ pool: DatabasePool, _ migrations: KeyValuePairs<String, String>) throws {
        var migrator = DatabaseMigrator()
        for (name, sql) in migrations {
            migrator.registerMigration(name) { db in try db.execute(sql: sql) }
        }
        if try pool.read({ db in try migrator.hasCompletedMigrations(db) }) { return }
        try migrator.migrate(pool)
    }
}
