/** The README's embedding example as a named module: Weft on the module path. */
module example.embedding {
    requires dev.weft.loop;
}
