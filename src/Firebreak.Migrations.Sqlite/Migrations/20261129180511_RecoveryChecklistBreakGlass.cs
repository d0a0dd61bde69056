using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Firebreak.Migrations.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class RecoveryChecklistBreakGlass : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "InterruptedAt",
                table: "ResponseActions",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<Guid>(
                name: "ReplannedAs",
                table: "ResponseActions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "Status",
                table: "ProviderEscalations",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.CreateTable(
                name: "BreakGlassRecords",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    IncidentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    InvokedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    InvokedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Account = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    Credential = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    RecordedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    RecordedByPrincipal = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    RecordedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    CredentialsRotatedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    RotationNote = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    ReviewedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    ReviewedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    ReviewNote = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    ClosedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    Version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BreakGlassRecords", x => x.Id);
                    table.ForeignKey(
                        name: "FK_BreakGlassRecords_Incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "Incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "ProviderEscalationResponses",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    IncidentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    EscalationId = table.Column<Guid>(type: "TEXT", nullable: false),
                    ReceivedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    From = table.Column<string>(type: "TEXT", maxLength: 128, nullable: true),
                    Summary = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    RecordedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    RecordedAt = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ProviderEscalationResponses", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ProviderEscalationResponses_Incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "Incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                    table.ForeignKey(
                        name: "FK_ProviderEscalationResponses_ProviderEscalations_EscalationId",
                        column: x => x.EscalationId,
                        principalTable: "ProviderEscalations",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "RecoveryItems",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    IncidentId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    Position = table.Column<int>(type: "INTEGER", nullable: false),
                    Description = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    Resource = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    SourceActionId = table.Column<Guid>(type: "TEXT", nullable: true),
                    Status = table.Column<int>(type: "INTEGER", nullable: false),
                    StatusReason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    StatusBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    StatusAt = table.Column<long>(type: "INTEGER", nullable: true),
                    EvidenceIds = table.Column<string>(type: "TEXT", nullable: false),
                    Note = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    BaselineName = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    VerifiedBaselineId = table.Column<Guid>(type: "TEXT", nullable: true),
                    VerifiedBaselineRevision = table.Column<int>(type: "INTEGER", nullable: true),
                    ExpectedDigest = table.Column<string>(type: "TEXT", maxLength: 71, nullable: true),
                    ActualDigest = table.Column<string>(type: "TEXT", maxLength: 71, nullable: true),
                    TemplateMatch = table.Column<int>(type: "INTEGER", nullable: true),
                    VerificationSource = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    VerifiedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    VerifiedAt = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    CreatedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RecoveryItems", x => x.Id);
                    table.ForeignKey(
                        name: "FK_RecoveryItems_Incidents_IncidentId",
                        column: x => x.IncidentId,
                        principalTable: "Incidents",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "TemplateBaselines",
                columns: table => new
                {
                    Id = table.Column<Guid>(type: "TEXT", nullable: false),
                    TenantId = table.Column<Guid>(type: "TEXT", nullable: false),
                    Name = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    Revision = table.Column<int>(type: "INTEGER", nullable: false),
                    Kind = table.Column<int>(type: "INTEGER", nullable: false),
                    Location = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: false),
                    Digest = table.Column<string>(type: "TEXT", maxLength: 71, nullable: false),
                    RecordedBy = table.Column<string>(type: "TEXT", maxLength: 200, nullable: false),
                    RecordedAt = table.Column<long>(type: "INTEGER", nullable: false),
                    Reason = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_TemplateBaselines", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_BreakGlassRecords_IncidentId_InvokedAt",
                table: "BreakGlassRecords",
                columns: new[] { "IncidentId", "InvokedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ProviderEscalationResponses_EscalationId_ReceivedAt",
                table: "ProviderEscalationResponses",
                columns: new[] { "EscalationId", "ReceivedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ProviderEscalationResponses_IncidentId",
                table: "ProviderEscalationResponses",
                column: "IncidentId");

            migrationBuilder.CreateIndex(
                name: "IX_RecoveryItems_IncidentId_Position",
                table: "RecoveryItems",
                columns: new[] { "IncidentId", "Position" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_TemplateBaselines_TenantId_Name_Revision",
                table: "TemplateBaselines",
                columns: new[] { "TenantId", "Name", "Revision" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BreakGlassRecords");

            migrationBuilder.DropTable(
                name: "ProviderEscalationResponses");

            migrationBuilder.DropTable(
                name: "RecoveryItems");

            migrationBuilder.DropTable(
                name: "TemplateBaselines");

            migrationBuilder.DropColumn(
                name: "InterruptedAt",
                table: "ResponseActions");

            migrationBuilder.DropColumn(
                name: "ReplannedAs",
                table: "ResponseActions");

            migrationBuilder.DropColumn(
                name: "Status",
                table: "ProviderEscalations");
        }
    }
}
