//! Every replicate's results as tidy Parquet tables (`replicates/`): one row per value,
//! with the placement, the replicate, the week and region where they apply, the metric and
//! the value (null where undefined). Readable by pandas, polars, R's arrow and DuckDB.
//!
//! Each replicate of each placement (a unit of work) is one row group, so a reader can
//! take one unit without decoding the rest: `telur merge` reduces shards' files this way,
//! and anyone can redo the reduction from the same files.

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::sync::Arc;

use arrow_array::types::UInt16Type;
use arrow_array::{Array, DictionaryArray, Float64Array, StringArray, UInt32Array};
use arrow_schema::{DataType as ArrowType, Field, Schema, SchemaRef};
use bytes::Bytes;
use ndarray::{Array2, Array3};
use parquet::arrow::arrow_reader::{
    ArrowReaderMetadata, ArrowReaderOptions, ParquetRecordBatchReaderBuilder,
};
use parquet::arrow::{ArrowSchemaConverter, add_encoded_arrow_schema_to_metadata};
use parquet::basic::{Compression, Encoding, ZstdLevel};
use parquet::column::writer::{ColumnCloseResult, get_column_writer, get_typed_column_writer};
use parquet::data_type::{ByteArray, ByteArrayType, DataType, DoubleType, Int32Type};
use parquet::errors::ParquetError;
use parquet::file::properties::{EnabledStatistics, WriterProperties, WriterPropertiesPtr};
use parquet::file::writer::{SerializedFileWriter, SerializedPageWriter, TrackedWrite};
use parquet::schema::types::ColumnPath;
use parquet::schema::types::SchemaDescriptor;

use crate::results::ReplicateOutput;
use crate::results::metrics::{program_weekly, region_summary, region_weekly, summary};

/// The folder of an output that holds the Parquet tables.
pub const FOLDER: &str = "replicates";

/// One of the four tables, one per output CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    Summary,
    RegionSummary,
    RegionWeekly,
    ProgramWeekly,
}

impl Table {
    pub const ALL: [Table; 4] = [
        Table::Summary,
        Table::RegionSummary,
        Table::RegionWeekly,
        Table::ProgramWeekly,
    ];

    /// The file under `replicates/`.
    pub fn file(self) -> &'static str {
        match self {
            Table::Summary => "summary.parquet",
            Table::RegionSummary => "region_summary.parquet",
            Table::RegionWeekly => "region_weekly.parquet",
            Table::ProgramWeekly => "program_weekly.parquet",
        }
    }

    fn metrics(self) -> &'static [&'static str] {
        match self {
            Table::Summary => &summary::NAMES,
            Table::RegionSummary => &region_summary::NAMES,
            Table::RegionWeekly => &region_weekly::NAMES,
            Table::ProgramWeekly => &program_weekly::NAMES,
        }
    }

    fn weekly(self) -> bool {
        matches!(self, Table::RegionWeekly | Table::ProgramWeekly)
    }

    fn regional(self) -> bool {
        matches!(self, Table::RegionSummary | Table::RegionWeekly)
    }

    fn schema(self) -> SchemaRef {
        let text = || ArrowType::Dictionary(Box::new(ArrowType::UInt16), Box::new(ArrowType::Utf8));
        let mut fields = vec![
            Field::new("placement", text(), false),
            Field::new("replicate", ArrowType::UInt32, false),
        ];
        if self.weekly() {
            fields.push(Field::new("week", ArrowType::UInt32, false));
        }
        if self.regional() {
            fields.push(Field::new("region", text(), false));
        }
        fields.push(Field::new("metric", text(), false));
        fields.push(Field::new("value", ArrowType::Float64, true));
        Arc::new(Schema::new(fields))
    }

    /// The unit's values of this table, in row order (week, region, metric).
    fn values(self, out: &ReplicateOutput) -> &[f64] {
        let slice = match self {
            Table::Summary => Some(out.summary.as_slice()),
            Table::RegionSummary => out.region_summary.as_slice(),
            Table::RegionWeekly => out.region_weekly.as_slice(),
            Table::ProgramWeekly => out.program_weekly.as_slice(),
        };
        slice.expect("outputs are built in standard layout")
    }
}

/// The shape of a unit's tables: weeks and regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub weeks: usize,
    pub regions: usize,
}

impl Shape {
    fn rows(self, table: Table) -> usize {
        let weeks = if table.weekly() { self.weeks } else { 1 };
        let regions = if table.regional() { self.regions } else { 1 };
        weeks * regions * table.metrics().len()
    }
}

/// One column chunk encoded once and copied into every row group that holds it.
struct Chunk {
    bytes: Bytes,
    close: ColumnCloseResult,
}

impl Chunk {
    /// `values` encoded as column `index` of `schema`.
    fn encode<T: DataType>(
        schema: &SchemaDescriptor,
        index: usize,
        properties: &WriterPropertiesPtr,
        values: &[T::T],
        levels: Option<&[i16]>,
    ) -> Result<Chunk, ParquetError> {
        let mut sink = TrackedWrite::new(Vec::new());
        let close = {
            let pages = Box::new(SerializedPageWriter::new(&mut sink));
            let column = get_column_writer(schema.column(index), properties.clone(), pages);
            let mut column = get_typed_column_writer::<T>(column);
            column.write_batch(values, levels, None)?;
            column.close()?
        };
        Ok(Chunk {
            bytes: Bytes::from(sink.into_inner()?),
            close,
        })
    }
}

/// How the pages of a replicates file are compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// ZSTD level 1: files kept for people (`--keep-replicates`), 6 bytes a row. LZ4
    /// measured 10% faster to write, within noise, and 9% larger.
    Zstd,
    /// None: shard files, read once by the merge. Compressing them was 6% of a shard's
    /// instructions, and made four shards of the 200-replicate default execute 5.2% more
    /// than one process (callgrind); uncompressed they are 1.5 times larger.
    None,
}

/// Writes one table, a row group per unit.
///
/// Of a unit's columns only the replicate and the values change from one unit to the
/// next: the placement column is encoded once per placement and the week, region and
/// metric columns once per table, then copied. Encoding text row by row (a dictionary
/// lookup per value) would cost more than the simulation that made the values.
pub struct TableWriter<W: Write + Send> {
    table: Table,
    writer: SerializedFileWriter<W>,
    /// One placement column per job.
    placements: Vec<Chunk>,
    /// The week, region and metric columns the table has, in schema order.
    fixed: Vec<Chunk>,
    /// Each replicate's column, encoded when first needed (a replicate recurs in every
    /// placement).
    replicates: HashMap<u32, Chunk>,
    schema: SchemaDescriptor,
    properties: WriterPropertiesPtr,
    rows: usize,
    /// Scratch, kept between units: the values' definition levels and defined values.
    levels: Vec<i16>,
    defined: Vec<f64>,
}

impl<W: Write + Send> TableWriter<W> {
    /// A writer of `table` for a run whose jobs are `placements` (the baseline first), its
    /// pages compressed with `codec`.
    pub fn new(
        table: Table,
        out: W,
        placements: &[String],
        regions: &[String],
        weeks: usize,
        codec: Codec,
    ) -> Result<TableWriter<W>, ParquetError> {
        let arrow = table.schema();
        let schema = ArrowSchemaConverter::new().convert(&arrow)?;
        // Values are mostly distinct doubles: no dictionary (building one only to drop it
        // costs more than the rest of the file), and their bytes split by significance
        // so the compressor finds the repetition in signs and exponents. The replicate is
        // constant within a row group: deltas of zero take no bits.
        let value = ColumnPath::from("value");
        let replicate = ColumnPath::from("replicate");
        let mut properties = WriterProperties::builder()
            .set_compression(match codec {
                Codec::Zstd => Compression::ZSTD(ZstdLevel::try_new(1)?),
                Codec::None => Compression::UNCOMPRESSED,
            })
            .set_column_dictionary_enabled(value.clone(), false)
            .set_column_encoding(value.clone(), Encoding::BYTE_STREAM_SPLIT)
            // Minima and maxima of the values (a comparison per value) would serve only
            // filters on the value itself; readers select by the other columns.
            .set_column_statistics_enabled(value, EnabledStatistics::None)
            .set_column_dictionary_enabled(replicate.clone(), false)
            .set_column_encoding(replicate, Encoding::DELTA_BINARY_PACKED)
            .build();
        // Readers rebuild the text columns as dictionaries (pandas: categoricals).
        add_encoded_arrow_schema_to_metadata(&arrow, &mut properties);
        let properties = Arc::new(properties);
        let shape = Shape {
            weeks,
            regions: regions.len(),
        };
        let rows = shape.rows(table);
        let metrics = table.metrics().len();
        let per_week = shape.regions.max(1) * metrics;
        let column = |name: &str| arrow.index_of(name).expect("the table's schema");
        let text = |index: usize, names: &mut dyn Iterator<Item = &str>| {
            let values: Vec<ByteArray> = names.map(ByteArray::from).collect();
            Chunk::encode::<ByteArrayType>(&schema, index, &properties, &values, None)
        };
        let placements = placements
            .iter()
            .map(|p| {
                text(
                    column("placement"),
                    &mut std::iter::repeat_n(p.as_str(), rows),
                )
            })
            .collect::<Result<_, _>>()?;
        let mut fixed = Vec::new();
        if table.weekly() {
            let weeks: Vec<i32> = (0..rows).map(|i| (i / per_week) as i32).collect();
            fixed.push(Chunk::encode::<Int32Type>(
                &schema,
                column("week"),
                &properties,
                &weeks,
                None,
            )?);
        }
        if table.regional() {
            let mut names = (0..rows).map(|i| regions[(i / metrics) % regions.len()].as_str());
            fixed.push(text(column("region"), &mut names)?);
        }
        let mut names = (0..rows).map(|i| table.metrics()[i % metrics]);
        fixed.push(text(column("metric"), &mut names)?);
        let writer = SerializedFileWriter::new(out, schema.root_schema_ptr(), properties.clone())?;
        Ok(TableWriter {
            table,
            writer,
            placements,
            fixed,
            replicates: HashMap::new(),
            schema,
            properties,
            rows,
            levels: Vec::with_capacity(rows),
            defined: Vec::with_capacity(rows),
        })
    }

    /// One unit (job `placement` of the list given to [`TableWriter::new`], in
    /// `replicate`) as one row group.
    pub fn unit(
        &mut self,
        placement: usize,
        replicate: u32,
        out: &ReplicateOutput,
    ) -> Result<(), ParquetError> {
        self.units(&[(placement, replicate, out)])
    }

    /// Units in order, a row group each.
    pub fn units(&mut self, units: &[(usize, u32, &ReplicateOutput)]) -> Result<(), ParquetError> {
        for &(placement, replicate, out) in units {
            let values = self.table.values(out);
            assert_eq!(
                values.len(),
                self.rows,
                "a unit's {} has the run's shape",
                self.table.file()
            );
            self.levels.clear();
            self.defined.clear();
            for &v in values {
                self.levels.push(i16::from(!v.is_nan()));
                if !v.is_nan() {
                    self.defined.push(v);
                }
            }
            if !self.replicates.contains_key(&replicate) {
                // Parquet keeps unsigned 32-bit integers in its signed type, bit for bit.
                let column = vec![i32::from_ne_bytes(replicate.to_ne_bytes()); self.rows];
                let chunk =
                    Chunk::encode::<Int32Type>(&self.schema, 1, &self.properties, &column, None)?;
                self.replicates.insert(replicate, chunk);
            }
            let mut group = self.writer.next_row_group()?;
            let chunk = &self.placements[placement];
            group.append_column(&chunk.bytes, chunk.close.clone())?;
            let chunk = &self.replicates[&replicate];
            group.append_column(&chunk.bytes, chunk.close.clone())?;
            for chunk in &self.fixed {
                group.append_column(&chunk.bytes, chunk.close.clone())?;
            }
            let mut column = group.next_column()?.expect("the schema has a value column");
            column
                .typed::<DoubleType>()
                .write_batch(&self.defined, Some(&self.levels), None)?;
            column.close()?;
            // Closes the row group: one per unit.
            group.close()?;
        }
        Ok(())
    }

    /// Writes the footer and hands back the writer.
    pub fn finish(self) -> Result<W, ParquetError> {
        self.writer.into_inner()
    }
}

/// Reads units back from one table's file: its footer read once, each unit from a file
/// handle of its own (so units can be read in parallel).
pub struct TableReader {
    table: Table,
    metadata: ArrowReaderMetadata,
    shape: Shape,
}

impl TableReader {
    pub fn open(table: Table, file: &File, shape: Shape) -> Result<TableReader, ParquetError> {
        let metadata = ArrowReaderMetadata::load(file, ArrowReaderOptions::default())?;
        Ok(TableReader {
            table,
            metadata,
            shape,
        })
    }

    /// Row groups in the file.
    pub fn units(&self) -> usize {
        self.metadata.metadata().num_row_groups()
    }

    /// Row group `index`'s values, checked to be placement `placement` in `replicate`
    /// with the run's shape (undefined values as NaN).
    pub fn unit(
        &self,
        file: File,
        index: usize,
        placement: &str,
        replicate: u32,
    ) -> Result<Vec<f64>, ParquetError> {
        let t = self.table;
        let rows = self.shape.rows(t);
        let reader =
            ParquetRecordBatchReaderBuilder::new_with_metadata(file, self.metadata.clone())
                .with_row_groups(vec![index])
                .with_batch_size(rows.max(1))
                .build()?;
        let mut values = Vec::with_capacity(rows);
        for batch in reader {
            let batch = batch.map_err(|e| ParquetError::General(e.to_string()))?;
            let wrong = |what: &str| {
                ParquetError::General(format!(
                    "row group {index} of {} is not {placement} in replicate {replicate}: {what}",
                    t.file()
                ))
            };
            let names = batch
                .column(0)
                .as_any()
                .downcast_ref::<DictionaryArray<UInt16Type>>()
                .ok_or_else(|| wrong("no placement column"))?;
            let dictionary = names
                .values()
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or_else(|| wrong("placement names are not text"))?;
            let reps = batch
                .column(1)
                .as_any()
                .downcast_ref::<UInt32Array>()
                .ok_or_else(|| wrong("no replicate column"))?;
            for row in [0, batch.num_rows().saturating_sub(1)] {
                if batch.num_rows() == 0 {
                    break;
                }
                let key = names.keys().value(row) as usize;
                if dictionary.value(key) != placement || reps.value(row) != replicate {
                    return Err(wrong(&format!(
                        "it holds {} in replicate {}",
                        dictionary.value(key),
                        reps.value(row)
                    )));
                }
            }
            let column = batch
                .column(batch.num_columns() - 1)
                .as_any()
                .downcast_ref::<Float64Array>()
                .ok_or_else(|| wrong("no value column"))?;
            values.extend((0..column.len()).map(|i| {
                if column.is_null(i) {
                    f64::NAN
                } else {
                    column.value(i)
                }
            }));
        }
        if values.len() != rows {
            return Err(ParquetError::General(format!(
                "row group {index} of {} has {} rows, the run's shape needs {rows}",
                t.file(),
                values.len()
            )));
        }
        Ok(values)
    }
}

/// A unit's outputs rebuilt from its four tables' values.
pub fn output_of(shape: Shape, tables: [Vec<f64>; 4]) -> ReplicateOutput {
    let [summary, region_summary, region_weekly, program_weekly] = tables;
    let (w, r) = (shape.weeks, shape.regions);
    ReplicateOutput {
        summary,
        region_summary: Array2::from_shape_vec((r, region_summary::NAMES.len()), region_summary)
            .expect("checked row counts"),
        region_weekly: Array3::from_shape_vec((w, r, region_weekly::NAMES.len()), region_weekly)
            .expect("checked row counts"),
        program_weekly: Array2::from_shape_vec((w, program_weekly::NAMES.len()), program_weekly)
            .expect("checked row counts"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(seed: f64, weeks: usize, regions: usize) -> ReplicateOutput {
        let mut k = seed;
        let mut next = || {
            k += 1.0;
            if (k as u64).is_multiple_of(7) {
                f64::NAN
            } else {
                k * 0.1
            }
        };
        ReplicateOutput {
            summary: (0..summary::NAMES.len()).map(|_| next()).collect(),
            region_summary: Array2::from_shape_fn((regions, region_summary::NAMES.len()), |_| {
                next()
            }),
            region_weekly: Array3::from_shape_fn(
                (weeks, regions, region_weekly::NAMES.len()),
                |_| next(),
            ),
            program_weekly: Array2::from_shape_fn((weeks, program_weekly::NAMES.len()), |_| next()),
        }
    }

    #[test]
    fn units_come_back_bit_for_bit_and_wrong_ones_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let placements = vec!["baseline".to_string(), "a".to_string()];
        let regions = vec![
            "Papua".to_string(),
            "Maluku".to_string(),
            "Bali".to_string(),
        ];
        let shape = Shape {
            weeks: 5,
            regions: 3,
        };
        let units = [
            (0, 0, unit(0.0, 5, 3)),
            (1, 0, unit(1e3, 5, 3)),
            (1, 1, unit(2e3, 5, 3)),
        ];
        // Both codecs, two tables each.
        for (i, table) in Table::ALL.into_iter().enumerate() {
            let path = dir.path().join(table.file());
            let codec = [Codec::Zstd, Codec::None][i % 2];
            let mut w = TableWriter::new(
                table,
                File::create(&path).unwrap(),
                &placements,
                &regions,
                5,
                codec,
            )
            .unwrap();
            for (p, rep, out) in &units {
                w.unit(*p, *rep, out).unwrap();
            }
            w.finish().unwrap();
        }
        let read = |index: usize, placement: &str, rep: u32| {
            let tables = Table::ALL.map(|t| {
                let path = dir.path().join(t.file());
                let r = TableReader::open(t, &File::open(&path).unwrap(), shape).unwrap();
                assert_eq!(r.units(), 3);
                r.unit(File::open(&path).unwrap(), index, placement, rep)
            });
            if tables.iter().any(Result::is_err) {
                return None;
            }
            Some(output_of(shape, tables.map(Result::unwrap)))
        };
        for (i, (p, rep, out)) in units.iter().enumerate() {
            let back = read(i, &placements[*p], *rep).unwrap();
            let bits = |o: &ReplicateOutput| -> Vec<u64> {
                o.summary
                    .iter()
                    .chain(o.region_summary.iter())
                    .chain(o.region_weekly.iter())
                    .chain(o.program_weekly.iter())
                    .map(|v| if v.is_nan() { u64::MAX } else { v.to_bits() })
                    .collect()
            };
            assert_eq!(bits(&back), bits(out));
        }
        assert!(read(1, "a", 1).is_none(), "row group 1 is replicate 0");
        assert!(read(0, "a", 0).is_none(), "row group 0 is the baseline");
    }
}
